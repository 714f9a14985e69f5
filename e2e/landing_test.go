package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestWaysIn: the server's root names no tenant in production; a tenant's
// own address leads to its account page (which asks for a sign-in); the
// favicon exists.
func TestWaysIn(t *testing.T) {
	e := newEnv(t, "sqlite")
	b := e.browser()
	resp, body := b.get(e.hs.URL + "/")
	if resp.StatusCode != 200 || strings.Contains(body, "acme") || strings.Contains(body, "/t/") {
		t.Fatalf("root: %d %.500s", resp.StatusCode, body)
	}
	for _, path := range []string{"/t/acme", "/t/acme/"} {
		resp, body := b.get(e.hs.URL + path)
		if resp.StatusCode != 200 || !strings.Contains(body, `name="password"`) || resp.Request.URL.Path != "/t/acme/login" {
			t.Fatalf("%s: %d at %s", path, resp.StatusCode, resp.Request.URL)
		}
	}
	if resp, _ := b.get(e.hs.URL + "/t/nope/"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown tenant: %d", resp.StatusCode)
	}
	resp, _ = b.get(e.hs.URL + "/favicon.ico")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("favicon: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestNoDeadEnds: the signed-out page offers to sign in again.
func TestNoDeadEnds(t *testing.T) {
	e := newEnv(t, "sqlite")
	id, secret := e.webClient()
	b := e.browser()
	e.rp(id, secret).signIn(b)
	resp, body := b.post(e.issuer+"/account/logout", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Signed out") ||
		!strings.Contains(body, `<a href="`+e.issuer+`/account">Sign in again</a>`) {
		t.Fatalf("signed out: %d %.600s", resp.StatusCode, body)
	}
}
