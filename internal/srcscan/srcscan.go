// Package srcscan parses a Go package's own source (or a tree of packages)
// for tests that enforce structure (which routes exist, who may call what). It imports nothing of
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

// ParseTree parses the non-test .go files of root and of every directory
// below it, skipping testdata and hidden directories. The files are keyed
// by their directory relative to root, slash-separated ("." is root), so a
// test can name a function by its package ("op.opStorage.AuthRequestByID").
func ParseTree(root string) (*token.FileSet, map[string][]*ast.File, error) {
	fset := token.NewFileSet()
	out := map[string][]*ast.File{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		af, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		out[rel] = append(out[rel], af)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return fset, out, nil
}
