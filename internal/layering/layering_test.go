package layering

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/gatehouse-idp/gatehouse"

// tiers is the package map of docs/architecture.md. A package may import
// packages of a lower tier; within tier 0 (libraries) imports are free;
// within the other tiers only the pairs in sideways are allowed. Every
// package of the module must be covered by this table — an entry covers the
// packages below it, except "idp", which is the composition root alone — so
// a new package is placed on purpose.
var tiers = map[string]int{
	// tier 0: libraries that know nothing of HTTP routing or of their callers
	"federation": 0, "mfa": 0, "migrations": 0, "templates": 0, "internal": 0,
	"idp/policy": 0, "idp/geo": 0, "idp/device": 0, "idp/password": 0, "idp/seal": 0,
	"idp/notify": 0, "idp/config": 0, "idp/store": 0,
	// tier 1
	"idp/web": 1, "idp/tenant": 1, "idp/audit": 1, "idp/keys": 1,
	// tier 2
	"idp/session": 2, "idp/factors": 2, "idp/mailer": 2, "idp/upstream": 2, "idp/manage": 2,
	// tier 3
	"idp/op": 3, "idp/login": 3, "idp/account": 3, "idp/admin": 3,
	// tier 4: the composition root
	"idp": 4,
	// above everything: programs and black-box tests
	"cmd": 5, "bench": 5, "e2e": 5,
}

// sideways are the allowed imports inside one tier above 0.
var sideways = map[[2]string]bool{
	{"idp/manage", "idp/session"}: true, {"idp/manage", "idp/upstream"}: true,
}

// forbidden are import path prefixes some table entries must never import.
var forbidden = map[string][]string{
	"idp/store":  {"github.com/zitadel/"},
	"federation": {module + "/idp"},
	"mfa":        {module + "/idp"},
}

// place returns the table entry covering pkg: the longest entry that is pkg
// or a parent of it, where "idp" covers only itself.
func place(pkg string) (string, bool) {
	for p := pkg; p != "." && p != ""; p = filepath.ToSlash(filepath.Dir(p)) {
		if _, ok := tiers[p]; ok && (p != "idp" || pkg == "idp") {
			return p, true
		}
	}
	return "", false
}

// imports parses the non-test sources of every package of the module.
func imports(t *testing.T) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{} // package dir -> imported paths
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != "../.." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../..", filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if out[rel] == nil {
			out[rel] = map[string]bool{}
		}
		for _, is := range f.Imports {
			p, _ := strconv.Unquote(is.Path.Value)
			out[rel][p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 20 {
		t.Fatalf("found only %d packages: the walk is not seeing the module", len(out))
	}
	return out
}

// violations lists every import of imps that breaks the table.
func violations(imps map[string]map[string]bool) []string {
	var out []string
	var pkgs []string
	for p := range imps {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		from, ok := place(pkg)
		if !ok {
			out = append(out, "package "+pkg+" is not in the tier table (internal/layering): place it on purpose")
			continue
		}
		var list []string
		for imp := range imps[pkg] {
			list = append(list, imp)
		}
		sort.Strings(list)
		for _, imp := range list {
			for _, bad := range forbidden[from] {
				if strings.HasPrefix(imp, bad) {
					out = append(out, pkg+" imports "+imp+", which it must never import")
				}
			}
			target, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			to, ok := place(target)
			if !ok {
				continue // reported when that package itself is walked
			}
			tf, tt := tiers[from], tiers[to]
			if from == to || tf == 0 && tt == 0 || tt < tf || sideways[[2]string{from, to}] {
				continue
			}
			out = append(out, pkg+" (tier "+strconv.Itoa(tf)+") imports "+target+" (tier "+strconv.Itoa(tt)+"): imports must point down the tiers")
		}
	}
	return out
}

// TestImportDirections fails on an import that points up the tiers, goes
// sideways without leave or reaches a forbidden module, and on a package
// missing from the table.
func TestImportDirections(t *testing.T) {
	for _, v := range violations(imports(t)) {
		t.Error(v)
	}
}

// TestRulesCatchViolations proves each rule fires on planted imports.
func TestRulesCatchViolations(t *testing.T) {
	planted := map[string]map[string]bool{
		"idp/keys":      {module + "/idp": true},                     // up the tiers
		"idp/login":     {module + "/idp/account": true},             // sideways
		"idp/store/x":   {"github.com/zitadel/oidc/v3/pkg/op": true}, // forbidden
		"mfa/totp":      {module + "/idp/keys": true},                // forbidden
		"idp/newthing":  {},                                          // unplaced
		"idp/manage":    {module + "/idp/session": true},             // allowed sideways
		"idp/policy":    {module + "/idp/seal": true},                // libraries: free
		"cmd/gatehouse": {module + "/idp": true},                     // down
	}
	got := violations(planted)
	// mfa/totp -> idp/keys breaks two rules: forbidden, and up the tiers.
	if len(got) != 6 {
		t.Fatalf("want 6 violations (up, sideways, two forbidden + one up, unplaced), got %d:\n%s", len(got), strings.Join(got, "\n"))
	}
	for _, want := range []string{"idp/keys (tier 1) imports idp (tier 4)", "idp/login (tier 3) imports idp/account", "package idp/newthing",
		"idp/store/x imports github.com/zitadel", "mfa/totp imports " + module + "/idp/keys"} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("no violation reported for %q", want)
		}
	}
}
