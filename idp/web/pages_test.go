package web

import (
	"strings"
	"testing"
)

func TestCSPFormAction(t *testing.T) {
	d := &Page{FormActions: []string{"https://accounts.google.com", "https://x.test; script-src *", ""}}
	csp := CSP(d)
	if !strings.Contains(csp, "form-action 'self' https://accounts.google.com;") || strings.Contains(csp, "script-src *") || strings.Contains(csp, "x.test") {
		t.Fatalf("csp: %s", csp)
	}
	if csp := CSP(struct{}{}); !strings.Contains(csp, "form-action 'self';") {
		t.Fatalf("default csp: %s", csp)
	}
	type embedding struct{ *Page }
	if csp := CSP(embedding{d}); !strings.Contains(csp, "https://accounts.google.com") {
		t.Fatalf("a page embedding Page must keep its form actions: %s", csp)
	}
}
