package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time (-ldflags "-X main.version=v1.2.3"); a
// source build says "dev".
var version = "dev"

// versionLine is `gatehouse --version`: the version, the commit and build
// time Go recorded from the repository (with "+dirty" for uncommitted
// changes), and the Go version.
func versionLine() string {
	commit, when, dirty := "unknown", "unknown", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if dirty {
		commit += "+dirty"
	}
	return fmt.Sprintf("gatehouse %s (commit %s, built from a tree dated %s, %s)", version, commit, when, runtime.Version())
}
