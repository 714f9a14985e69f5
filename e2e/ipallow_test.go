package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func allow(t *testing.T, e *env, scope, cidr string) {
	t.Helper()
	ten, _ := e.srv.Manage().TenantBySlug(context.Background(), "acme")
	if _, err := e.srv.Manage().ChangeIPAllowlist(context.Background(), ten, manage.AllowlistChange{Scope: scope, Add: &policy.Entry{CIDR: cidr, Note: "office"}}); err != nil {
		t.Fatal(err)
	}
}

// TestIPAllowlistSignin: the sign-in list refuses the login page with a 403
// page that shows the address, counts and audits it; a forged
// X-Forwarded-For from an untrusted peer changes nothing; the API list's
// endpoints stay open.
func TestIPAllowlistSignin(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		ccID, ccSecret := e.client(e.acme, manage.ClientSpec{Name: "Sync", Grants: []string{"client_credentials"}})
		allow(t, e, manage.ScopeSignin, "203.0.113.0/24")

		b := e.browser()
		_, ch := pkce()
		for _, hdr := range []map[string]string{nil, {"X-Forwarded-For": "203.0.113.7"}, {"X-Real-IP": "203.0.113.7"}} {
			resp, body := b.getWith(r.authURL("s", ch), hdr)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "127.0.0.1") || strings.Contains(body, `name="password"`) {
				t.Fatalf("login page from a refused address (headers %v): %d %.400s", hdr, resp.StatusCode, body)
			}
		}
		// The POST is refused too, before any password is looked at.
		resp, _ := b.post(e.issuer+"/login", url.Values{"id": {"x"}, "email": {agentEmail}, "password": {agentPassword}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("login POST from a refused address: %d", resp.StatusCode)
		}
		// Account pages are sign-in pages.
		if resp, _ := b.get(e.issuer + "/account"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("account page from a refused address: %d", resp.StatusCode)
		}
		// Every other sign-in and account route, federation included.
		for _, u := range []string{"/login/forgot", "/login/reset?token=x", "/account/sessions", "/account/password",
			"/account/connections", "/login/federated/c1/callback?state=s&code=c"} {
			if resp, _ := b.get(e.issuer + u); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("GET %s from a refused address: %d", u, resp.StatusCode)
			}
		}
		for _, u := range []string{"/login/forgot", "/login/reset", "/login/password-change", "/login/federated/c1/start",
			"/login/federated/c1/link", "/account/sessions/end", "/account/sessions/end-others"} {
			if resp, _ := b.post(e.issuer+u, url.Values{"id": {"x"}}); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("POST %s from a refused address: %d", u, resp.StatusCode)
			}
		}
		if got := e.metric(`gatehouse_ip_refusals_total{scope="signin"}`); got != "18" {
			t.Fatalf("signin refusals metric = %q, want 18", got)
		}
		evs := e.auditEvents("ip.refused")
		if len(evs) != 18 || evs[0].IP != "127.0.0.1" || evs[0].Detail["scope"] != "signin" {
			t.Fatalf("ip.refused events: %d, first %+v", len(evs), evs[0])
		}
		// The API scope is a separate list: machine clients still get tokens.
		cc := clientcredentials.Config{ClientID: ccID, ClientSecret: ccSecret, TokenURL: e.issuer + "/oauth/token"}
		tok, err := cc.Token(e.ctx)
		if err != nil {
			t.Fatalf("client_credentials under a signin-only list: %v", err)
		}
		if got := e.introspect(ccID, ccSecret, tok.AccessToken); got["active"] != true {
			t.Fatalf("introspection under a signin-only list: %v", got)
		}
		// Another tenant is not affected.
		if resp, _ := b.get(e.hs.URL + "/t/other/.well-known/openid-configuration"); resp.StatusCode != 200 {
			t.Fatalf("other tenant discovery: %d", resp.StatusCode)
		}
		// Adding the address lets the browser in.
		allow(t, e, manage.ScopeSignin, "127.0.0.1")
		_ = r.signIn(b)
	})
}

// TestIPAllowlistAPI: the API list refuses client_credentials and
// introspection with a 403 OAuth error, and leaves the login page and user
// grants alone.
func TestIPAllowlistAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		ccID, ccSecret := e.client(e.acme, manage.ClientSpec{Name: "Sync", Grants: []string{"client_credentials"}})
		allow(t, e, manage.ScopeAPI, "2001:db8::/32")

		st, body := e.tokenForm(url.Values{"grant_type": {"client_credentials"}}, ccID, ccSecret)
		if st != http.StatusForbidden || body["error"] != "access_denied" || !strings.Contains(body["error_description"].(string), "127.0.0.1") {
			t.Fatalf("client_credentials from a refused address: %d %v", st, body)
		}
		st, body = e.postJSON(e.issuer+"/oauth/introspect", url.Values{"token": {"whatever"}}, ccID, ccSecret)
		if st != http.StatusForbidden || body["error"] != "access_denied" {
			t.Fatalf("introspection from a refused address: %d %v", st, body)
		}
		if got := e.metric(`gatehouse_ip_refusals_total{scope="api"}`); got != "2" {
			t.Fatalf("api refusals metric = %q", got)
		}
		// Sign-in, code exchange and refresh are user traffic: not governed by the API list.
		tok := r.signIn(e.browser())
		if e.refresh(r, tok.RefreshToken).AccessToken == "" {
			t.Fatal("refresh under an API-only list")
		}
	})
}

// TestIPAllowlistTrustedProxy: behind a trusted proxy the forwarded client
// address decides; the untrusted part of the chain is not believed.
func TestIPAllowlistTrustedProxy(t *testing.T) {
	forEachBackendOpts(t, func(_ *testing.T, o *idp.Options) { o.TrustedProxies = []string{"127.0.0.1/32"} }, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		allow(t, e, manage.ScopeSignin, "203.0.113.0/24")
		b := e.browser()
		_, ch := pkce()
		if resp, body := b.getWith(r.authURL("s", ch), map[string]string{"X-Forwarded-For": "203.0.113.7"}); resp.StatusCode != 200 || !strings.Contains(body, `name="password"`) {
			t.Fatalf("allowed client behind a trusted proxy: %d", resp.StatusCode)
		}
		// The client forged the left part; the proxy appended the real address.
		resp, body := b.getWith(r.authURL("s", ch), map[string]string{"X-Forwarded-For": "203.0.113.7, 198.51.100.9"})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "198.51.100.9") {
			t.Fatalf("forged chain: %d %.300s", resp.StatusCode, body)
		}
	})
}

// TestIPAllowlistLockoutCheck: saving a sign-in list that excludes the
// admin's address is refused with that address, unless forced.
func TestIPAllowlistLockoutCheck(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ten, _ := e.srv.Manage().TenantBySlug(ctx, "acme")
		_, err := e.srv.Manage().ChangeIPAllowlist(ctx, ten, manage.AllowlistChange{Scope: manage.ScopeSignin,
			Add: &policy.Entry{CIDR: "10.0.0.0/8", Note: "VPN"}, CurrentIP: "192.0.2.10"})
		var le *manage.LockoutError
		if !errors.As(err, &le) || le.IP != "192.0.2.10" || !errors.Is(err, manage.ErrLockout) || !strings.Contains(err.Error(), "192.0.2.10") {
			t.Fatalf("lockout not refused: %v", err)
		}
		ten, _ = e.srv.Manage().TenantBySlug(ctx, "acme")
		if len(ten.Settings.IPAllowlistSignin) != 0 {
			t.Fatal("a refused change was saved")
		}
		// The admin's own address in the list: fine.
		if _, err := e.srv.Manage().ChangeIPAllowlist(ctx, ten, manage.AllowlistChange{Scope: manage.ScopeSignin,
			Add: &policy.Entry{CIDR: "192.0.2.0/24", Note: "HQ"}, CurrentIP: "192.0.2.10"}); err != nil {
			t.Fatal(err)
		}
		// Removing it again would lock out: refused, then forced.
		ten, _ = e.srv.Manage().TenantBySlug(ctx, "acme")
		_, _ = e.srv.Manage().ChangeIPAllowlist(ctx, ten, manage.AllowlistChange{Scope: manage.ScopeSignin, Add: &policy.Entry{CIDR: "10.0.0.0/8", Note: "VPN"}, CurrentIP: "10.1.1.1"})
		ten, _ = e.srv.Manage().TenantBySlug(ctx, "acme")
		if _, err := e.srv.Manage().ChangeIPAllowlist(ctx, ten, manage.AllowlistChange{Scope: manage.ScopeSignin, Remove: "192.0.2.0/24", CurrentIP: "192.0.2.10"}); !errors.Is(err, manage.ErrLockout) {
			t.Fatalf("removing the admin's range: %v", err)
		}
		ten, _ = e.srv.Manage().TenantBySlug(ctx, "acme")
		list, err := e.srv.Manage().ChangeIPAllowlist(ctx, ten, manage.AllowlistChange{Scope: manage.ScopeSignin, Remove: "192.0.2.0/24", CurrentIP: "192.0.2.10", Force: true})
		if err != nil || len(list) != 1 || list[0].CIDR != "10.0.0.0/8" {
			t.Fatalf("forced removal: %v %v", list, err)
		}
		if evs := e.auditEvents("ip_allowlist.changed"); len(evs) != 3 || evs[0].Detail["forced"] != "true" {
			t.Fatalf("ip_allowlist.changed events: %d", len(evs))
		}
		// Bad input changes nothing and names the problem.
		ten, _ = e.srv.Manage().TenantBySlug(ctx, "acme")
		if _, err := e.srv.Manage().ChangeIPAllowlist(ctx, ten, manage.AllowlistChange{Scope: manage.ScopeAPI, Add: &policy.Entry{CIDR: "10.0.0.300", Note: "x"}}); err == nil || !strings.Contains(err.Error(), "10.0.0.300") {
			t.Fatalf("invalid CIDR: %v", err)
		}
		if _, err := e.srv.Manage().ChangeIPAllowlist(ctx, ten, manage.AllowlistChange{Scope: manage.ScopeAPI, Add: &policy.Entry{CIDR: "10.0.0.1"}}); err == nil || !strings.Contains(err.Error(), "note") {
			t.Fatalf("missing note: %v", err)
		}
	})
}

// TestIPAllowlistDamagedFailsClosed: a stored list that no longer parses
// (edited in the database by hand) refuses everyone rather than no one.
func TestIPAllowlistDamagedFailsClosed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		e.updateTenant(func(s *store.TenantSettings) {
			s.IPAllowlistSignin = []store.IPAllowEntry{{CIDR: "127.0.0.1/33", Note: "typo"}}
		})
		_, ch := pkce()
		if resp, _ := e.browser().get(r.authURL("s", ch)); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("damaged list: %d", resp.StatusCode)
		}
	})
}
