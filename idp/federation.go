package idp

import (
	"fmt"
	"strings"
)

// pageCSP is the pages' Content-Security-Policy; pages with buttons that
// lead to an upstream add its origin to form-action.
func pageCSP(d any) string {
	fa := "'self'"
	if pd, ok := d.(interface{ formActionSources() []string }); ok {
		for _, src := range pd.formActionSources() {
			if src != "" && !strings.ContainsAny(src, " ;,'\"") {
				fa += " " + src
			}
		}
	}
	// script-src/connect-src 'self': static/webauthn.js and its option fetches (passkeys).
	return fmt.Sprintf("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action %s; frame-ancestors 'none'; base-uri 'none'", fa)
}

func (d *pageData) formActionSources() []string { return d.FormActions }
