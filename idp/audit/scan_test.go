package audit

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/internal/srcscan"
)

const (
	storePath = "github.com/gatehouse-idp/gatehouse/idp/store"
	auditPath = "github.com/gatehouse-idp/gatehouse/idp/audit"
)

// scanExempt are the directories whose source may name event types freely,
// and why.
var scanExempt = map[string]string{
	"idp/audit": "the catalogue itself",
	// The conformance suite stores arbitrary types ("x", "login.succeeded"):
	// to a store the type is opaque data, and store (tier 0) must not import
	// audit (tier 1).
	"idp/store/storetest": "store conformance data",
}

// TestNoEventTypeOutsideCatalogue parses every non-test .go file of the
// repository and fails on any audit event whose type is not a constant of
// the catalogue: a store.AuditEvent literal whose Type is a string, a
// concatenation, a variable or anything but audit.X, and an assignment to the
// Type of an event variable (declared from a literal, new(store.AuditEvent)
// or as a parameter or var of that type) that is not audit.X.
func TestNoEventTypeOutsideCatalogue(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not at %s: %v", root, err)
	}
	names := catalogueNames(t)
	var problems []string
	events := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if rel != "." && (d.Name() == "testdata" || d.Name() == "vendor" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if _, ok := scanExempt[rel]; ok {
			return nil // its sub-directories are scanned
		}
		p, n, err := scanDir(path, names)
		problems = append(problems, p...)
		events += n
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(strings.TrimPrefix(p, root+string(filepath.Separator)))
	}
	// Today about a hundred events are written with audit.X; far fewer means
	// the scan is looking in the wrong place.
	if events < 80 {
		t.Errorf("the scan found only %d events typed from the catalogue", events)
	}
}

// TestScanCatchesPlantedEvents proves the scan on testdata/scan, whose lines
// marked "// want" each write an event type outside the catalogue.
func TestScanCatchesPlantedEvents(t *testing.T) {
	dir := filepath.Join("testdata", "scan")
	problems, ok, err := scanDir(dir, catalogueNames(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		at, _, _ := strings.Cut(p, ": ")
		got = append(got, at)
	}
	want := wantLines(t, dir)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("flagged:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
	if ok != 3 {
		t.Errorf("%d events typed from the catalogue, want 3", ok)
	}
}

// wantLines is "file:line" of every line of dir's .go files marked "// want".
func wantLines(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(b), "\n") {
			if strings.HasSuffix(l, "// want") {
				out = append(out, fmt.Sprintf("%s:%d", f, i+1))
			}
		}
	}
	slices.Sort(out)
	return out
}

// catalogueNames are the names of the constants of events.go.
func catalogueNames(t *testing.T) map[string]bool {
	names := map[string]bool{}
	for _, c := range eventConstants(t) {
		names[c.name] = true
	}
	return names
}

// scanDir reports "file:line: what" for each event typed outside the
// catalogue in dir's non-test files, and counts the events typed from it.
func scanDir(dir string, names map[string]bool) (problems []string, ok int, err error) {
	fset, files, err := srcscan.Parse(dir)
	if err != nil {
		return nil, 0, err
	}
	for _, f := range files {
		s := &scanner{fset: fset, names: names, store: importName(f, storePath), audit: importName(f, auditPath)}
		if s.store == "" {
			continue // cannot name store.AuditEvent
		}
		ast.Inspect(f, s.visit)
		problems = append(problems, s.problems...)
		ok += s.ok
	}
	return problems, ok, nil
}

// importName is the name path is imported under in f, or "".
func importName(f *ast.File, path string) string {
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == path {
			if im.Name != nil {
				return im.Name.Name
			}
			return p[strings.LastIndex(p, "/")+1:]
		}
	}
	return ""
}

type scanner struct {
	fset         *token.FileSet
	names        map[string]bool
	store, audit string // the file's names for the two packages
	problems     []string
	ok           int
}

func (s *scanner) flag(n ast.Node, format string, args ...any) {
	p := s.fset.Position(n.Pos())
	s.problems = append(s.problems, fmt.Sprintf("%s:%d: %s", p.Filename, p.Line, fmt.Sprintf(format, args...)))
}

// isEvent reports whether e is store.AuditEvent or *store.AuditEvent.
func (s *scanner) isEvent(e ast.Expr) bool {
	if st, ok := e.(*ast.StarExpr); ok {
		e = st.X
	}
	sel, ok := e.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "AuditEvent" {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == s.store
}

// checkType counts v if it is audit.X for a constant X of the catalogue and
// flags it otherwise.
func (s *scanner) checkType(n ast.Node, v ast.Expr) {
	if sel, ok := v.(*ast.SelectorExpr); ok {
		if x, ok := sel.X.(*ast.Ident); ok && s.audit != "" && x.Name == s.audit && s.names[sel.Sel.Name] {
			s.ok++
			return
		}
	}
	s.flag(n, "audit event type %s is not a constant of the catalogue (audit.X)", types.ExprString(v))
}

func (s *scanner) visit(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.CompositeLit:
		switch t := n.Type.(type) {
		case *ast.ArrayType: // []store.AuditEvent{{...}}
			if s.isEvent(t.Elt) {
				for _, e := range n.Elts {
					if lit, ok := e.(*ast.CompositeLit); ok && lit.Type == nil {
						s.checkLiteral(lit)
					}
				}
			}
		default:
			if s.isEvent(n.Type) {
				s.checkLiteral(n)
			}
		}
	case *ast.AssignStmt:
		for i, lhs := range n.Lhs {
			sel, ok := lhs.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Type" || !s.isEventVar(sel.X) {
				continue
			}
			if n.Tok != token.ASSIGN || len(n.Rhs) != len(n.Lhs) {
				s.flag(n, "audit event type built with %s", n.Tok)
				continue
			}
			s.checkType(n, n.Rhs[i])
		}
	}
	return true
}

func (s *scanner) checkLiteral(lit *ast.CompositeLit) {
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			s.flag(lit, "unkeyed store.AuditEvent literal")
			return
		}
		if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Type" {
			s.checkType(kv, kv.Value)
		}
	}
}

// isEventVar reports whether x is a variable declared as an event: from a
// literal or new(store.AuditEvent), or as a parameter or var of the type.
func (s *scanner) isEventVar(x ast.Expr) bool {
	id, ok := x.(*ast.Ident)
	if !ok || id.Obj == nil {
		return false
	}
	switch d := id.Obj.Decl.(type) {
	case *ast.Field:
		return s.isEvent(d.Type)
	case *ast.ValueSpec:
		if d.Type != nil {
			return s.isEvent(d.Type)
		}
		return slices.ContainsFunc(d.Values, s.isEventValue)
	case *ast.AssignStmt:
		return slices.ContainsFunc(d.Rhs, s.isEventValue)
	}
	return false
}

// isEventValue reports whether e is an event literal or new(store.AuditEvent).
func (s *scanner) isEventValue(e ast.Expr) bool {
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
		e = u.X
	}
	switch e := e.(type) {
	case *ast.CompositeLit:
		return s.isEvent(e.Type)
	case *ast.CallExpr:
		fn, ok := e.Fun.(*ast.Ident)
		return ok && fn.Name == "new" && len(e.Args) == 1 && s.isEvent(e.Args[0])
	}
	return false
}
