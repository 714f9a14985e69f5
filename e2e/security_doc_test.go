package e2e

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSecurityDocNamesRealTests keeps docs/security.md honest: every
// guarantee in its tables names at least one test, and every test it names
// exists — `pkg.TestX` as a Test or Fuzz function of package pkg,
// `storetest.X` as a subtest of the conformance suite, a bare `FuzzX`
// anywhere. A renamed or deleted test fails here instead of leaving a
// guarantee without proof.
func TestSecurityDocNamesRealTests(t *testing.T) {
	doc, err := os.ReadFile("../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	funcs := map[string]map[string]bool{} // package name -> Test/Fuzz functions
	fset := token.NewFileSet()
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		pkg := strings.TrimSuffix(f.Name.Name, "_test")
		if funcs[pkg] == nil {
			funcs[pkg] = map[string]bool{}
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil &&
				(strings.HasPrefix(fn.Name.Name, "Test") || strings.HasPrefix(fn.Name.Name, "Fuzz")) {
				funcs[pkg][fn.Name.Name] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	suite, err := os.ReadFile("../idp/store/storetest/storetest.go")
	if err != nil {
		t.Fatal(err)
	}
	subtests := map[string]bool{}
	for _, m := range regexp.MustCompile(`\{"(\w+)", test\w+\}`).FindAllStringSubmatch(string(suite), -1) {
		subtests[m[1]] = true
	}

	ref := regexp.MustCompile("`(?:(\\w+)\\.)?((?:Test|Fuzz)\\w+|[A-Z]\\w+)`")
	inGuarantees := false
	rows := 0
	for i, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "## ") {
			inGuarantees = line == "## Guarantees"
		}
		if !inGuarantees || !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") || strings.HasPrefix(line, "| guarantee |") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		named := 0
		for _, m := range ref.FindAllStringSubmatch(cells[len(cells)-1], -1) {
			pkg, name := m[1], m[2]
			switch {
			case pkg == "storetest":
				if !subtests[name] {
					t.Errorf("line %d: storetest.%s is not a conformance subtest", i+1, name)
				}
			case pkg != "":
				if !funcs[pkg][name] {
					t.Errorf("line %d: %s.%s does not exist", i+1, pkg, name)
				}
			case strings.HasPrefix(name, "Fuzz"):
				found := false
				for _, fs := range funcs {
					found = found || fs[name]
				}
				if !found {
					t.Errorf("line %d: fuzz target %s does not exist", i+1, name)
				}
			default:
				continue // a code name in the text, not a test
			}
			named++
		}
		if named == 0 {
			t.Errorf("line %d: a guarantee names no test: %s", i+1, line)
		}
		rows++
	}
	if rows < 20 {
		t.Fatalf("only %d guarantees found: the doc's layout changed under this test", rows)
	}
}
