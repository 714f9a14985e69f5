package e2e

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Federation end to end: the helpdesk RP starts a code flow, the browser
// presses "Sign in with ..." on Gatehouse's login page, the in-process
// upstream (fedtest: Google-like, Entra-like, generic) signs in and
// redirects back, Gatehouse verifies, links or provisions, and the RP
// redeems the code for an ID token whose amr contains "fed".

const (
	entraTID   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	otherTID   = "0b0c0d0e-1111-4222-8333-944455556666"
	entraOID   = "00000000-0000-0000-66f3-3332eca7ea81"
	upTimeout  = 2 * time.Second
	googleUser = "new.agent@acme.test"
)

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// forEachBackendFed is forEachBackend with an upstream client whose
// timeout the timeout test can exceed quickly.
func forEachBackendFed(t *testing.T, f func(t *testing.T, e *env)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			if b == "postgres" && os.Getenv("GATEHOUSE_SKIP_POSTGRES") == "1" {
				t.Skip("GATEHOUSE_SKIP_POSTGRES=1")
			}
			f(t, newEnv(t, b, func(o *idp.Options) {
				o.UpstreamHTTPClient = &http.Client{Timeout: upTimeout}
			}))
		})
	}
}

// connect registers up as a connection of tenant acme and points the
// upstream's redirect URI at it.
func (e *env) connect(up *fedtest.Provider, spec manage.ConnectionSpec) *manage.ConnectionView {
	e.t.Helper()
	spec.ClientID, spec.ClientSecret = up.ClientID, up.ClientSecret
	switch spec.Kind {
	case "google", "oidc":
		spec.Issuer = up.Issuer
	case "microsoft":
		spec.Issuer = up.URL
	}
	v, err := e.srv.Manage().CreateConnection(context.Background(), e.acme, spec)
	if err != nil {
		e.t.Fatalf("CreateConnection: %v", err)
	}
	up.SetRedirectURL(v.RedirectURI)
	return v
}

// fedResult is where a federated sign-in ended.
type fedResult struct {
	resp  *http.Response
	body  string
	rpQ   url.Values // the RP redirect's query, nil when Gatehouse answered with a page
	cbURL string     // the upstream's redirect back to Gatehouse
}

// startFederated presses the connection's button on a login page and
// plays the upstream; it returns the callback URL without visiting it.
func (b *browser) startFederated(loginPage, connID string, up *fedtest.Provider) string {
	b.e.t.Helper()
	m := hiddenID.FindStringSubmatch(loginPage)
	if m == nil {
		b.e.t.Fatalf("no auth request id in the login page: %.300s", loginPage)
	}
	resp, body := b.post(b.e.issuer+"/login/federated/"+connID+"/start", url.Values{"id": {m[1]}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, up.URL+"/") {
		b.e.t.Fatalf("start: want 303 to the upstream, got %d %q: %.300s", resp.StatusCode, loc, body)
	}
	cb, err := up.Authorize(loc)
	if err != nil {
		b.e.t.Fatalf("upstream authorize: %v", err)
	}
	if !strings.HasPrefix(cb, b.e.issuer+"/login/federated/"+connID+"/callback?") {
		b.e.t.Fatalf("upstream redirected to %q", cb)
	}
	return cb
}

// federated runs the browser part of a federated sign-in from a login page.
func (b *browser) federated(loginPage, connID string, up *fedtest.Provider) fedResult {
	b.e.t.Helper()
	cb := b.startFederated(loginPage, connID, up)
	resp, body := b.get(cb)
	return fedResult{resp: resp, body: body, rpQ: rpRedirectQuery(resp), cbURL: cb}
}

// loginPage starts a code flow and returns the PKCE verifier and the page.
func (r *rp) loginPage(b *browser) (string, string) {
	r.e.t.Helper()
	v, ch := pkce()
	resp, body := b.get(r.authURL("st-fed", ch, oidc.Nonce("n-fed")))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		r.e.t.Fatalf("expected the login page, got %d: %.300s", resp.StatusCode, body)
	}
	return v, body
}

// redeem exchanges the code of a finished sign-in and returns the claims.
func (r *rp) redeem(res fedResult, verifier string) idClaims {
	r.e.t.Helper()
	if res.rpQ == nil || res.rpQ.Get("code") == "" || res.rpQ.Get("state") != "st-fed" {
		r.e.t.Fatalf("federated sign-in did not reach the RP: %d %.500s", res.resp.StatusCode, res.body)
	}
	tok, err := r.oauth.Exchange(r.e.ctx, res.rpQ.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		r.e.t.Fatalf("exchange: %v", err)
	}
	_, c := r.idToken(tok)
	return c
}

// refused checks a refusal page and its audit reason.
func (e *env) refused(res fedResult, status int, reason, text string) {
	e.t.Helper()
	if res.rpQ != nil {
		e.t.Fatalf("want a refusal (%s), but the sign-in reached the RP", reason)
	}
	if res.resp.StatusCode != status || !strings.Contains(res.body, text) {
		e.t.Fatalf("want %d with %q, got %d: %.600s", status, text, res.resp.StatusCode, res.body)
	}
	if !strings.Contains(res.body, "Back to sign-in") && !strings.Contains(res.body, "Back to your account") {
		e.t.Fatalf("refusal page has no way back: %.600s", res.body)
	}
	if !e.hasEvent(audit.FederationRefused, "reason", reason) {
		e.t.Fatalf("no %s audit event with reason %s", audit.FederationRefused, reason)
	}
}

func (e *env) hasEvent(typ, key, val string) bool {
	e.t.Helper()
	evs, err := e.store.ListAuditEvents(context.Background(), e.acme.ID, store.AuditQuery{Types: []string{typ}, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range evs {
		if key == "" || ev.Detail[key] == val {
			return true
		}
	}
	return false
}

func (e *env) userByEmail(email string) *store.User {
	e.t.Helper()
	u, err := e.store.UserByEmail(context.Background(), e.acme.ID, email)
	if err != nil {
		return nil
	}
	return u
}

func (e *env) links(userID string) []*store.Link {
	e.t.Helper()
	l, err := e.store.ListUserLinks(context.Background(), e.acme.ID, userID)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

func TestFederationGoogleEndToEnd(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-123", Email: googleUser, EmailVerified: yes(),
			Name: "New Agent", HostedDomain: "acme.test", AMR: []string{"pwd", "mfa"}})
		conn := e.connect(up, manage.ConnectionSpec{Kind: "google", HostedDomains: []string{"acme.test"}, JIT: true})
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()

		v, page := r.loginPage(b)
		if !strings.Contains(page, "Sign in with Google") || !strings.Contains(page, "/login/federated/"+conn.ID+"/start") {
			t.Fatalf("login page has no Google button: %.800s", page)
		}
		// The login page's form may lead to the upstream (CSP form-action).
		lp, _ := b.client.Get(r.authURL("st-csp"))
		lp.Body.Close()
		// form-action: ourselves, the upstream (its sign-in page follows the
		// button's POST) and the app's redirect origin (the code follows the
		// password form's POST) — nothing else.
		if csp := lp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+up.URL+" https://helpdesk.acme.test;") {
			t.Fatalf("login page CSP: %s", csp)
		}
		res := b.federated(page, conn.ID, up)
		c := r.redeem(res, v)
		// fed from Gatehouse; the upstream is not trusted (accept_upstream_mfa
		// off), so none of its amr values (pwd, mfa) reach amr or acr.
		if !slices.Equal(c.AMR, []string{"fed"}) || c.ACR != "urn:gatehouse:acr:pwd" || c.Email != googleUser {
			t.Fatalf("claims: amr %v acr %q email %q", c.AMR, c.ACR, c.Email)
		}
		// PKCE S256, nonce, state and the hd hint went upstream.
		q := up.LastAuthorizeRequest()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" ||
			q.Get("state") == "" || q.Get("hd") != "acme.test" {
			t.Fatalf("upstream authorize request: %v", q)
		}
		u := e.userByEmail(googleUser)
		if u == nil || u.Role != "agent" || u.PasswordHash != "" || !u.EmailVerified {
			t.Fatalf("JIT user: %+v", u)
		}
		if l := e.links(u.ID); len(l) != 1 || l[0].Subject != "g-123" || l[0].Issuer != up.Issuer || l[0].ConnectionID != conn.ID {
			t.Fatalf("links: %+v", l)
		}
		if !e.hasEvent(audit.FederationJITCreated, "connection_id", conn.ID) || !e.hasEvent(audit.FederationLink, "via", "jit") {
			t.Fatal("missing jit_created / link audit events")
		}

		// Second sign-in in a new browser: through the link, even after the
		// upstream email changed (the key is the subject).
		up.SetUser(fedtest.User{Subject: "g-123", Email: "renamed@acme.test", EmailVerified: yes(), HostedDomain: "acme.test"})
		b2 := e.browser()
		v2, page2 := r.loginPage(b2)
		c2 := r.redeem(b2.federated(page2, conn.ID, up), v2)
		if c2.Sub != c.Sub || !slices.Equal(c2.AMR, []string{"fed"}) {
			t.Fatalf("second sign-in: sub %q (want %q) amr %v", c2.Sub, c.Sub, c2.AMR)
		}
		if !e.hasEvent(audit.FederationLogin, "connection_id", conn.ID) {
			t.Fatal("no federation.login event")
		}
	})
}

func TestFederationEntraEndToEnd(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.EntraLike(t, fedtest.User{Subject: "ms-pairwise-1", Email: "agent.ms@acme.test", Name: "MS Agent", TenantID: entraTID,
			ObjectID: entraOID, EDOV: yes(), AMR: []string{"pwd", "mfa"}})
		conn := e.connect(up, manage.ConnectionSpec{Kind: "microsoft", EntraTenant: "organizations",
			AllowedTenantIDs: []string{entraTID}, JIT: true, AcceptUpstreamMFA: true})
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		v, page := r.loginPage(b)
		if !strings.Contains(page, "Sign in with Office 365") {
			t.Fatalf("no Office 365 button: %.600s", page)
		}
		c := r.redeem(b.federated(page, conn.ID, up), v)
		// This connection accepts upstream MFA: amr and acr say so.
		if !slices.Contains(c.AMR, "fed") || !slices.Contains(c.AMR, "mfa") || c.ACR != "urn:gatehouse:acr:mfa" {
			t.Fatalf("amr %v acr %q", c.AMR, c.ACR)
		}
		u := e.userByEmail("agent.ms@acme.test")
		if u == nil {
			t.Fatal("no JIT user")
		}
		// Keyed on tid:oid at the tenant's resolved issuer, never the template.
		l := e.links(u.ID)
		if len(l) != 1 || l[0].Subject != entraTID+":"+entraOID || l[0].Issuer != up.URL+"/"+entraTID+"/v2.0" {
			t.Fatalf("links: %+v", l)
		}
	})
}

func TestFederationGenericEndToEnd(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.Generic(t, fedtest.User{Subject: "okta-9", Email: "okta.user@acme.test", EmailVerified: yes()})
		conn := e.connect(up, manage.ConnectionSpec{Kind: "oidc", Name: "Okta", JIT: true, DefaultRole: "admin"})
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		v, page := r.loginPage(b)
		if !strings.Contains(page, "Sign in with Okta") {
			t.Fatalf("no Okta button: %.600s", page)
		}
		c := r.redeem(b.federated(page, conn.ID, up), v)
		if !slices.Equal(c.AMR, []string{"fed"}) || !slices.Equal(c.Roles, []string{"admin"}) {
			t.Fatalf("amr %v roles %v", c.AMR, c.Roles)
		}
	})
}
