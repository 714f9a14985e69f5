// Package srcscan parses a Go package's own source for tests that enforce
// structure (which routes exist, who may call what). It imports nothing of
// Gatehouse.
package srcscan

import (
	"go/ast"
	"go/parser"
	"go/token"
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
