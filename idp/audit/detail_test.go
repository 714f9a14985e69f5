package audit

import (
	"go/ast"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/internal/srcscan"
)

// TestDetailKeysDeclared parses every non-test file of the repository and
// checks each audit event literal that names its type (audit.X) and its
// detail (a map literal): every detail key must be declared for that type
// in detail.go. Details built elsewhere are checked by the e2e suite, which
// reads back every event it stored.
func TestDetailKeysDeclared(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fset, pkgs, err := srcscan.ParseTree(root)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for dir, files := range pkgs {
		if _, exempt := scanExempt[dir]; exempt || strings.Contains(dir, "testdata") {
			continue
		}
		for _, f := range files {
			auditName := importName(f, auditPath)
			if auditName == "" {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.CompositeLit)
				if !ok {
					return true
				}
				var typ string
				var detail *ast.CompositeLit
				for _, e := range lit.Elts {
					kv, ok := e.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					switch k, _ := kv.Key.(*ast.Ident); {
					case k == nil:
					case k.Name == "Type":
						if sel, ok := kv.Value.(*ast.SelectorExpr); ok {
							if x, ok := sel.X.(*ast.Ident); ok && x.Name == auditName {
								typ = sel.Sel.Name
							}
						}
					case k.Name == "Detail":
						detail, _ = kv.Value.(*ast.CompositeLit)
					}
				}
				if typ == "" || detail == nil {
					return true
				}
				value := constantValue(t, typ)
				for _, e := range detail.Elts {
					kv, ok := e.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					bl, ok := kv.Key.(*ast.BasicLit)
					if !ok {
						t.Errorf("%s: a detail key of %s is not a string literal", fset.Position(kv.Pos()), typ)
						continue
					}
					key, _ := strconv.Unquote(bl.Value)
					if len(undeclared(value, map[string]string{key: ""})) > 0 {
						t.Errorf("%s: %s's detail key %q is not declared in detail.go", fset.Position(kv.Pos()), typ, key)
					}
					checked++
				}
				return true
			})
		}
	}
	if checked < 60 {
		t.Errorf("only %d detail keys checked: the scan is looking in the wrong place", checked)
	}
	for typ := range details {
		if constantName(typ) == "" {
			t.Errorf("detail.go declares %q, which is not in the catalogue", typ)
		}
	}
}

func constantValue(t *testing.T, name string) string {
	for _, c := range eventConstants(t) {
		if c.name == name {
			return c.value
		}
	}
	t.Fatalf("no catalogue constant %s", name)
	return ""
}

func constantName(value string) string {
	for _, e := range Catalogue() {
		if e.Type == value {
			return e.Type
		}
	}
	return ""
}
