package config

import (
	"fmt"
	"strings"
)

// FieldError is one problem with one option. Validate and Load return every
// FieldError they find, joined with errors.Join; use errors.As to pick them
// out. Its text follows the pattern
//
//	config: option 'public_url' must be an absolute http(s) URL but it's configured as 'ftp://x'
type FieldError struct {
	// Option is the yaml key, dotted for nested options ("database.max_conns").
	Option string
	// Value is the value as configured, already made safe to print: secrets
	// read "<redacted>" and URL passwords are masked. Empty when unset.
	Value string
	// Problem says what is wrong: "is required", "must be ...".
	Problem string
	// Hint, when set, says how to fix it.
	Hint string
	// Origin, when known, says where the value came from:
	// "GATEHOUSE_LISTEN", "flag --listen", "file gatehouse.yaml line 4".
	Origin string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config: option '%s' %s", e.Option, e.Problem)
	if e.Value != "" {
		fmt.Fprintf(&b, " but it's configured as '%s'", e.Value)
	}
	if e.Origin != "" {
		fmt.Fprintf(&b, " (from %s)", e.Origin)
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// UnknownOptionError reports a name that is not a Gatehouse option: a YAML
// key, a GATEHOUSE_* environment variable or a flag key. The value given is
// never included: a misspelt secret is still a secret.
type UnknownOptionError struct {
	// Name is the key or variable as written ("publc_url",
	// "database.max_con", "GATEHOUSE_PUBLC_URL").
	Name string
	// Source is "file <path>", "environment" or "flags".
	Source string
	// Line is the line in the YAML file, 0 for other sources.
	Line int
	// Suggestion is the nearest known name, when one is close.
	Suggestion string
	// Hint, when set, says what to use instead.
	Hint string
}

func (e *UnknownOptionError) Error() string {
	var b strings.Builder
	if e.Source == "environment" {
		fmt.Fprintf(&b, "config: unknown environment variable '%s'", e.Name)
	} else {
		fmt.Fprintf(&b, "config: unknown option '%s' in %s", e.Name, e.Source)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Suggestion != "" {
		fmt.Fprintf(&b, "; did you mean '%s'?", e.Suggestion)
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	if e.Source == "environment" {
		b.WriteString(" (names starting with GATEHOUSE_ are reserved for options; GATEHOUSE_TEST_* and GATEHOUSE_SKIP_* are left to test suites)")
	}
	return b.String()
}
