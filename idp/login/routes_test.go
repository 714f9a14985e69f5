package login

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// recordingMux remembers which web.Mux method mounted each pattern.
type recordingMux map[string]string

func (m recordingMux) Page(p, _ string, _ web.TenantHandler)     { m[p] = "Page" }
func (m recordingMux) Endpoint(p, _ string, _ web.TenantHandler) { m[p] = "Endpoint" }
func (m recordingMux) Form(p, _ string, _ web.TenantHandler)     { m[p] = "Form" }
func (m recordingMux) Handle(p string, _ http.Handler)           { m[p] = "Handle" }

// TestMountEverySignInRouteIsAPage: every route of the transaction is a
// sign-in page (web.Mux.Page: the tenant's sign-in allowlist, cross-origin
// protection on POST) under /t/{tenant}/login or /t/{tenant}/setup, with
// the method in the pattern; the ones TestLoginBoundToBrowser (e2e) must
// find are there.
func TestMountEverySignInRouteIsAPage(t *testing.T) {
	m := recordingMux{}
	(&Handler{}).Mount(m)
	for p, how := range m {
		method, path, ok := strings.Cut(p, " ")
		if !ok || (method != http.MethodGet && method != http.MethodPost) {
			t.Errorf("%q: no GET or POST in the pattern", p)
		}
		if !strings.HasPrefix(path, "/t/{tenant}/login") && path != "/t/{tenant}/setup" {
			t.Errorf("%q: not a sign-in route", p)
		}
		if how != "Page" {
			t.Errorf("%q mounted with %s: every sign-in route is a Page (allowlist, cross-origin protection)", p, how)
		}
	}
	for _, want := range []string{
		"GET /t/{tenant}/login", "POST /t/{tenant}/login", "POST /t/{tenant}/login/2fa",
		"GET /t/{tenant}/login/federated/{connection_id}/callback", "POST /t/{tenant}/login/password-change",
		"GET /t/{tenant}/setup", "POST /t/{tenant}/login/passkey/finish",
	} {
		if m[want] == "" {
			t.Errorf("%s is not mounted", want)
		}
	}
	if len(m) != 28 {
		t.Errorf("%d routes mounted, want 28: a route was added or lost (update this count on purpose)", len(m))
	}
}
