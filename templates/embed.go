// Package templates holds Gatehouse's html/template pages, email bodies and
// static assets, embedded in the binary. Pages work without JavaScript.
//
// This package must not import any idp package.
package templates

import (
	"embed"
	"io/fs"
)

//go:embed pages/*.html static/* email/*
var files embed.FS

// FS returns the embedded templates and static files.
func FS() fs.FS { return files }
