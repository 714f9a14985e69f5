// Package srcscan parses a Go package's own source for tests that enforce
// structure (which routes exist, who may call what). It imports nothing of
// Gatehouse.
package srcscan

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
)

// Parse parses the non-test .go files of dir.
func Parse(dir string) (*token.FileSet, []*ast.File, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, nil, err
	}
	fset := token.NewFileSet()
	var out []*ast.File
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, af)
	}
	return fset, out, nil
}

// ParseTree parses the non-test .go files of dir and of every package
// below it (testdata and hidden directories skipped): a scan that must see
// a rule kept wherever the code moved to, not only in one package.
func ParseTree(dir string) (*token.FileSet, []*ast.File, error) {
	fset := token.NewFileSet()
	var out []*ast.File
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		af, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		out = append(out, af)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return fset, out, nil
}
