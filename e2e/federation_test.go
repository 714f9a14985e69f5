package e2e

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
	"github.com/gatehouse-idp/gatehouse/idp"
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
func (e *env) connect(up *fedtest.Provider, spec idp.ConnectionSpec) *idp.ConnectionView {
	e.t.Helper()
	spec.ClientID, spec.ClientSecret = up.ClientID, up.ClientSecret
	switch spec.Kind {
	case "google", "oidc":
		spec.Issuer = up.Issuer
	case "microsoft":
		spec.Issuer = up.URL
	}
	v, err := e.srv.CreateConnection(context.Background(), e.acme, spec)
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
	if !e.hasEvent(store.EventFederationRefused, "reason", reason) {
		e.t.Fatalf("no %s audit event with reason %s", store.EventFederationRefused, reason)
	}
}

func (e *env) hasEvent(typ, key, val string) bool {
	e.t.Helper()
	evs, err := e.store.ListAuditEvents(context.Background(), e.acme.ID, store.AuditQuery{Type: typ, Limit: 1000})
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
		conn := e.connect(up, idp.ConnectionSpec{Kind: "google", HostedDomains: []string{"acme.test"}, JIT: true})
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
		if csp := lp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+up.URL+";") {
			t.Fatalf("login page CSP: %s", csp)
		}
		res := b.federated(page, conn.ID, up)
		c := r.redeem(res, v)
		// fed from Gatehouse, pwd from the upstream; the upstream's mfa is not
		// trusted (accept_upstream_mfa off), so neither amr nor acr claim it.
		if !slices.Equal(c.AMR, []string{"fed", "pwd"}) || c.ACR != "urn:gatehouse:acr:pwd" || c.Email != googleUser {
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
		if !e.hasEvent(store.EventFederationJITCreated, "connection_id", conn.ID) || !e.hasEvent(store.EventFederationLink, "via", "jit") {
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
		if !e.hasEvent(store.EventFederationLogin, "connection_id", conn.ID) {
			t.Fatal("no federation.login event")
		}
	})
}

func TestFederationEntraEndToEnd(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.EntraLike(t, fedtest.User{Subject: "ms-pairwise-1", Email: "agent.ms@acme.test", Name: "MS Agent", TenantID: entraTID,
			ObjectID: entraOID, EDOV: yes(), AMR: []string{"pwd", "mfa"}})
		conn := e.connect(up, idp.ConnectionSpec{Kind: "microsoft", EntraTenant: "organizations",
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
		conn := e.connect(up, idp.ConnectionSpec{Kind: "oidc", Name: "Okta", JIT: true, DefaultRole: "admin"})
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

// TestFederationRefusals: every upstream or linking failure ends on a page
// that explains it, leads back to the login page, creates nothing and is
// audited with its reason.
func TestFederationRefusals(t *testing.T) {
	type tc struct {
		name   string
		kind   string // google | microsoft | oidc
		user   fedtest.User
		faults fedtest.Faults
		spec   idp.ConnectionSpec
		status int
		reason string
		text   string
		detail [2]string // an audit detail the refusal must carry
	}
	gUser := fedtest.User{Subject: "g-1", Email: "someone@acme.test", EmailVerified: yes(), HostedDomain: "acme.test"}
	msUser := fedtest.User{Subject: "ms-pairwise-2", Email: "ms@acme.test", TenantID: entraTID, ObjectID: entraOID, EDOV: yes()}
	msSpec := idp.ConnectionSpec{EntraTenant: "organizations", AllowedTenantIDs: []string{entraTID}, JIT: true}
	cases := []tc{
		{name: "wrong hd", kind: "google", user: fedtest.User{Subject: "g-2", Email: "x@other.test", EmailVerified: yes(), HostedDomain: "other.test"},
			spec: idp.ConnectionSpec{HostedDomains: []string{"acme.test"}, JIT: true}, status: 502, reason: "domain_not_allowed", text: "organization is not allowed"},
		{name: "entra tenant not allowlisted", kind: "microsoft",
			user: fedtest.User{Subject: "ms-pairwise-3", Email: "ms@other.test", TenantID: otherTID, ObjectID: entraOID, EDOV: yes()},
			spec: msSpec, status: 502, reason: "tenant_not_allowed", text: "organization is not allowed"},
		{name: "issuer mismatch with tid", kind: "microsoft", user: msUser, spec: msSpec,
			faults: fedtest.Faults{Issuer: "ISSUER_OTHER_TID"}, status: 502, reason: "issuer_mismatch", text: "could not verify"},
		{name: "bad signature", kind: "google", user: gUser, spec: idp.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{SignWithUnpublishedKey: true}, status: 502, reason: "token_invalid", text: "could not verify"},
		{name: "wrong audience", kind: "oidc", user: gUser, spec: idp.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{Audience: "someone-else"}, status: 502, reason: "token_invalid", text: "could not verify"},
		{name: "expired token", kind: "oidc", user: gUser, spec: idp.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{Expired: true}, status: 502, reason: "token_invalid", text: "could not verify"},
		{name: "missing nonce", kind: "google", user: gUser, spec: idp.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{Nonce: fedtest.NonceOmit}, status: 502, reason: "nonce_missing", text: "expired or was already used"},
		{name: "access denied", kind: "google", user: gUser, spec: idp.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{AuthorizeError: "access_denied", AuthorizeErrorDescription: "<script>x</script>"},
			status: 502, reason: "upstream_error", text: "cancelled or refused", detail: [2]string{"upstream_error", "access_denied"}},
		{name: "token endpoint OAuth error", kind: "oidc", user: gUser, spec: idp.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{TokenError: "invalid_client"}, status: 502, reason: "upstream_error", text: "could not complete",
			detail: [2]string{"upstream_error", "invalid_client"}},
		{name: "token endpoint 5xx", kind: "oidc", user: gUser, spec: idp.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{TokenStatus: 503}, status: 502, reason: "upstream_unavailable", text: "not reachable"},
		{name: "token endpoint bad JSON", kind: "oidc", user: gUser, spec: idp.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{TokenBody: "{not json"}, status: 502, reason: "upstream_unavailable", text: "not reachable"},
		{name: "token endpoint timeout", kind: "oidc", user: gUser, spec: idp.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{TokenDelay: upTimeout + 500*time.Millisecond}, status: 502, reason: "upstream_unavailable", text: "not reachable"},
		{name: "unverified email with existing local account", kind: "google",
			user: fedtest.User{Subject: "g-3", Email: agentEmail, EmailVerified: no(), HostedDomain: "acme.test"},
			spec: idp.ConnectionSpec{LinkMode: "verified_email_with_proof", JIT: true}, status: 403, reason: "email_not_verified", text: "does not confirm"},
		{name: "verified email but link mode none", kind: "google",
			user: fedtest.User{Subject: "g-4", Email: agentEmail, EmailVerified: yes(), HostedDomain: "acme.test"},
			spec: idp.ConnectionSpec{LinkMode: "none", JIT: true}, status: 403, reason: "linking_disabled", text: "already exists"},
		{name: "JIT off", kind: "google", user: fedtest.User{Subject: "g-5", Email: "stranger@acme.test", EmailVerified: yes()},
			spec: idp.ConnectionSpec{JIT: false}, status: 403, reason: "jit_disabled", text: "not created automatically"},
	}
	forEachBackendFed(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		for _, c := range cases {
			t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
				sub := *e
				sub.t = t
				e := &sub
				var up *fedtest.Provider
				switch c.kind {
				case "google":
					up = fedtest.GoogleLike(t, c.user)
				case "microsoft":
					up = fedtest.EntraLike(t, c.user)
				default:
					up = fedtest.Generic(t, c.user)
				}
				if c.faults.Issuer == "ISSUER_OTHER_TID" {
					c.faults.Issuer = up.URL + "/" + otherTID + "/v2.0"
				}
				up.SetFaults(c.faults)
				spec := c.spec
				spec.Kind, spec.Name = c.kind, "Conn "+c.name
				conn := e.connect(up, spec)
				usersBefore, _ := e.store.ListUsers(context.Background(), e.acme.ID)
				b := e.browser()
				_, page := r.loginPage(b)
				res := b.federated(page, conn.ID, up)
				e.refused(res, c.status, c.reason, c.text)
				if c.detail[0] != "" && !e.hasEvent(store.EventFederationRefused, c.detail[0], c.detail[1]) {
					t.Fatalf("no refusal event with %s=%s", c.detail[0], c.detail[1])
				}
				if strings.Contains(res.body, "<script>") {
					t.Fatal("upstream error description reached the page")
				}
				usersAfter, _ := e.store.ListUsers(context.Background(), e.acme.ID)
				if len(usersAfter) != len(usersBefore) {
					t.Fatalf("a refused sign-in created a user")
				}
				if l := e.links(e.userByEmail(agentEmail).ID); len(l) != 0 {
					t.Fatalf("a refused sign-in linked the local account: %+v", l)
				}
				// The page's link leads back to this login transaction.
				m := regexp.MustCompile(`href="([^"]+)">Back to sign-in`).FindStringSubmatch(res.body)
				if m == nil {
					t.Fatalf("no back link: %.500s", res.body)
				}
				back, _ := b.get(strings.ReplaceAll(m[1], "&amp;", "&"))
				if back.StatusCode != http.StatusOK {
					t.Fatalf("back link answered %d", back.StatusCode)
				}
			})
		}
	})
}

// TestFederationStateIsSingleUseAndBrowserBound: a replayed callback (with
// the cookie copied) and a callback in another browser are refused.
func TestFederationStateIsSingleUseAndBrowserBound(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-r", Email: "replay@acme.test", EmailVerified: yes()})
		conn := e.connect(up, idp.ConnectionSpec{Kind: "google", JIT: true})
		id, secret := e.webClient()
		r := e.rp(id, secret)

		// Another browser (an attacker holding the victim's callback URL) has
		// no flow cookie.
		b := e.browser()
		_, page := r.loginPage(b)
		cb := b.startFederated(page, conn.ID, up)
		other := e.browser()
		resp, body := other.get(cb)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "expired or was already used") {
			t.Fatalf("callback in another browser: %d %.300s", resp.StatusCode, body)
		}

		// Replay with a copy of the cookie.
		b = e.browser()
		v, page := r.loginPage(b)
		cb = b.startFederated(page, conn.ID, up)
		u, _ := url.Parse(e.issuer)
		saved := b.client.Jar.Cookies(u)
		resp, body = b.get(cb)
		r.redeem(fedResult{resp: resp, body: body, rpQ: rpRedirectQuery(resp)}, v)
		b.client.Jar.SetCookies(u, saved)
		resp, body = b.get(cb)
		e.refused(fedResult{resp: resp, body: body, rpQ: rpRedirectQuery(resp)}, http.StatusBadRequest, "state_replayed", "already used")

		// A state that is not the browser's is refused before anything else.
		b = e.browser()
		_, page = r.loginPage(b)
		cb = b.startFederated(page, conn.ID, up)
		bad := regexp.MustCompile(`state=[^&]+`).ReplaceAllString(cb, "state=forged-state-value-0123456789")
		resp, body = b.get(bad)
		e.refused(fedResult{resp: resp, body: body, rpQ: rpRedirectQuery(resp)}, http.StatusBadRequest, "state_mismatch", "expired")
	})
}

// TestFederationLinkWithProof: a verified upstream email that matches a
// local account links only after that account's password.
func TestFederationLinkWithProof(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-alice", Email: agentEmail, EmailVerified: yes(), HostedDomain: "acme.test"})
		conn := e.connect(up, idp.ConnectionSpec{Kind: "google", LinkMode: "verified_email_with_proof"})
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		v, page := r.loginPage(b)
		res := b.federated(page, conn.ID, up)
		if res.rpQ != nil || res.resp.StatusCode != http.StatusOK || !strings.Contains(res.body, "Enter its password once") {
			t.Fatalf("want the proof page, got %d: %.500s", res.resp.StatusCode, res.body)
		}
		alice := e.userByEmail(agentEmail)
		if len(e.links(alice.ID)) != 0 {
			t.Fatal("linked before proof")
		}
		linkURL := e.issuer + "/login/federated/" + conn.ID + "/link"
		u, _ := url.Parse(e.issuer)
		saved := b.client.Jar.Cookies(u)

		resp, body := b.post(linkURL, url.Values{"password": {"wrong-password-123"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Incorrect password") {
			t.Fatalf("wrong password: %d %.300s", resp.StatusCode, body)
		}
		if !e.hasEvent(store.EventFederationRefused, "reason", "proof_failed") {
			t.Fatal("no proof_failed event")
		}
		// The cookie from before the wrong attempt is spent.
		fresh := b.client.Jar.Cookies(u)
		b.client.Jar.SetCookies(u, saved)
		resp, _ = b.post(linkURL, url.Values{"password": {agentPassword}})
		if resp.StatusCode != http.StatusBadRequest || rpRedirectQuery(resp) != nil {
			t.Fatalf("replayed proof cookie: %d", resp.StatusCode)
		}
		b.client.Jar.SetCookies(u, fresh)
		resp, body = b.post(linkURL, url.Values{"password": {agentPassword}})
		c := r.redeem(fedResult{resp: resp, body: body, rpQ: rpRedirectQuery(resp)}, v)
		if !slices.Equal(c.AMR, []string{"pwd", "fed"}) || c.Email != agentEmail {
			t.Fatalf("claims after proof: amr %v email %s", c.AMR, c.Email)
		}
		if l := e.links(alice.ID); len(l) != 1 || l[0].Subject != "g-alice" {
			t.Fatalf("links: %+v", l)
		}
		if !e.hasEvent(store.EventFederationLink, "via", "email_proof") {
			t.Fatal("no link event")
		}
		// Next time: straight through the link.
		b2 := e.browser()
		v2, page2 := r.loginPage(b2)
		if c2 := r.redeem(b2.federated(page2, conn.ID, up), v2); c2.Sub != c.Sub {
			t.Fatal("linked sign-in reached another user")
		}
	})
}

// TestFederationProofAttemptsBounded: five wrong passwords end the attempt.
func TestFederationProofAttemptsBounded(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-bf", Email: agentEmail, EmailVerified: yes()})
		conn := e.connect(up, idp.ConnectionSpec{Kind: "google", LinkMode: "verified_email_with_proof"})
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		_, page := r.loginPage(b)
		b.federated(page, conn.ID, up)
		linkURL := e.issuer + "/login/federated/" + conn.ID + "/link"
		var resp *http.Response
		var body string
		for range 5 {
			resp, body = b.post(linkURL, url.Values{"password": {"guess-guess-guess"}})
		}
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Too many incorrect passwords") {
			t.Fatalf("after 5 guesses: %d %.300s", resp.StatusCode, body)
		}
		resp, _ = b.post(linkURL, url.Values{"password": {agentPassword}})
		if rpRedirectQuery(resp) != nil || len(e.links(e.userByEmail(agentEmail).ID)) != 0 {
			t.Fatal("linked after the attempts ran out")
		}
	})
}

// TestFederationDisabledConnection: no button, no start, no callback, no
// link; --end-sessions ends the sessions it created.
func TestFederationDisabledConnection(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-d", Email: "dis@acme.test", EmailVerified: yes()})
		conn := e.connect(up, idp.ConnectionSpec{Kind: "google", JIT: true})
		id, secret := e.webClient()
		r := e.rp(id, secret)

		// A session signed in through the connection.
		b := e.browser()
		v, page := r.loginPage(b)
		c := r.redeem(b.federated(page, conn.ID, up), v)

		// A login in flight when the admin disables the connection.
		b2 := e.browser()
		_, page2 := r.loginPage(b2)
		cb := b2.startFederated(page2, conn.ID, up)

		if _, n, err := e.srv.SetConnectionEnabled(ctx, e.acme, conn.ID, false, false); err != nil || n != 0 {
			t.Fatalf("disable: %d %v", n, err)
		}
		resp, body := b2.get(cb)
		e.refused(fedResult{resp: resp, body: body, rpQ: rpRedirectQuery(resp)}, http.StatusForbidden, "connection_unavailable", "no longer available")

		b3 := e.browser()
		_, page3 := r.loginPage(b3)
		if strings.Contains(page3, "Sign in with Google") {
			t.Fatal("disabled connection still has a button")
		}
		m := hiddenID.FindStringSubmatch(page3)
		resp, _ = b3.post(e.issuer+"/login/federated/"+conn.ID+"/start", url.Values{"id": {m[1]}})
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("start on a disabled connection: %d", resp.StatusCode)
		}
		// The earlier session is untouched unless the admin asks.
		sess, err := e.store.SessionByID(ctx, e.acme.ID, c.SID)
		if err != nil || !sess.Active(e.clock.Now()) {
			t.Fatalf("session ended by a plain disable: %v", err)
		}
		if _, n, err := e.srv.SetConnectionEnabled(ctx, e.acme, conn.ID, false, true); err != nil || n != 1 {
			t.Fatalf("disable --end-sessions: ended %d, %v", n, err)
		}
		sess, _ = e.store.SessionByID(ctx, e.acme.ID, c.SID)
		if sess.Active(e.clock.Now()) || sess.EndReason != "connection_disabled" {
			t.Fatalf("session after --end-sessions: %+v", sess)
		}

		// Removed: links go, the callback URL is dead.
		if _, err := e.srv.RemoveConnection(ctx, e.acme, conn.ID, true); err != nil {
			t.Fatal(err)
		}
		if l := e.links(e.userByEmail("dis@acme.test").ID); len(l) != 0 {
			t.Fatalf("links survived removal: %+v", l)
		}
	})
}

var disconnectForm = regexp.MustCompile(`name="connection_id" value="([^"]+)">\s*<input type="hidden" name="issuer" value="([^"]+)">\s*<input type="hidden" name="subject" value="([^"]+)">`)

// TestFederationAccountConnections: connect while signed in (a full
// upstream round trip), list, disconnect; the last way to sign in cannot be
// disconnected.
func TestFederationAccountConnections(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-acct", Email: "alice.private@gmail.test", EmailVerified: no()})
		conn := e.connect(up, idp.ConnectionSpec{Kind: "google", JIT: true})
		b := e.browser()
		acct := e.issuer + "/account/connections"

		// Sign in to the account pages with the password.
		resp, page := b.get(acct)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `name="password"`) {
			t.Fatalf("want the login page: %d", resp.StatusCode)
		}
		if q := b.submitLogin(page, agentEmail, agentPassword); q != nil {
			t.Fatalf("account sign-in went to an RP: %v", q)
		}
		resp, page = b.get(acct)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Connect Google") || !strings.Contains(page, "No accounts are connected") {
			t.Fatalf("connections page: %d %.600s", resp.StatusCode, page)
		}
		if _, home := b.get(e.issuer + "/account"); !strings.Contains(home, `/account/connections">Connected accounts`) {
			t.Fatal("account page has no link to connected accounts")
		}

		// Connect: an explicit connect needs no matching or verified email.
		resp, _ = b.post(acct+"/"+conn.ID+"/connect", nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), up.URL) {
			t.Fatalf("connect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		cb, err := up.Authorize(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		resp, page = b.get(cb)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "The account was connected") || !strings.Contains(page, "alice.private@gmail.test") {
			t.Fatalf("after connect: %d %.600s", resp.StatusCode, page)
		}
		alice := e.userByEmail(agentEmail)
		if l := e.links(alice.ID); len(l) != 1 || l[0].Subject != "g-acct" {
			t.Fatalf("links: %+v", l)
		}
		if !e.hasEvent(store.EventFederationLink, "via", "account") {
			t.Fatal("no link event")
		}

		// Disconnect (alice has a password, so it is allowed).
		m := disconnectForm.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no disconnect form: %.600s", page)
		}
		form := url.Values{"connection_id": {m[1]}, "issuer": {m[2]}, "subject": {m[3]}}
		// Cross-site POSTs are refused (CSRF).
		req, _ := http.NewRequest(http.MethodPost, acct+"/disconnect", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if xs, err := b.client.Do(req); err != nil || xs.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site disconnect: %v %v", xs.StatusCode, err)
		}
		resp, page = b.post(acct+"/disconnect", form)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "The account was disconnected") {
			t.Fatalf("disconnect: %d %.400s", resp.StatusCode, page)
		}
		if l := e.links(alice.ID); len(l) != 0 || !e.hasEvent(store.EventFederationUnlink, "connection_id", conn.ID) {
			t.Fatalf("after disconnect: %+v", l)
		}
	})
}

func TestFederationDisconnectLastMethodRefused(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-only", Email: "only@acme.test", EmailVerified: yes()})
		conn := e.connect(up, idp.ConnectionSpec{Kind: "google", JIT: true})
		b := e.browser()
		acct := e.issuer + "/account/connections"
		_, page := b.get(acct)
		res := b.federated(page, conn.ID, up)
		if res.resp.StatusCode != http.StatusOK || !strings.Contains(res.body, "only@acme.test") {
			t.Fatalf("JIT sign-in to the account pages: %d %.400s", res.resp.StatusCode, res.body)
		}
		_, page = b.get(acct)
		m := disconnectForm.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no disconnect form: %.600s", page)
		}
		resp, body := b.post(acct+"/disconnect", url.Values{"connection_id": {m[1]}, "issuer": {m[2]}, "subject": {m[3]}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "only way you can sign in") {
			t.Fatalf("disconnecting the last method: %d %.400s", resp.StatusCode, body)
		}
		u := e.userByEmail("only@acme.test")
		if len(e.links(u.ID)) != 1 || !e.hasEvent(store.EventFederationRefused, "reason", "last_sign_in_method") {
			t.Fatal("last link removed or refusal not audited")
		}
	})
}

// TestFederationConnectRefusals: connect refuses an upstream account linked
// to someone else, and a callback that comes back to another session.
func TestFederationConnectRefusals(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-taken", Email: "taken@acme.test", EmailVerified: yes()})
		conn := e.connect(up, idp.ConnectionSpec{Kind: "google", JIT: true})
		id, secret := e.webClient()
		r := e.rp(id, secret)
		// Someone else owns g-taken (JIT on their first sign-in).
		bo := e.browser()
		v, page := r.loginPage(bo)
		r.redeem(bo.federated(page, conn.ID, up), v)

		acct := e.issuer + "/account/connections"
		b := e.browser()
		_, page = b.get(acct)
		b.submitLogin(page, agentEmail, agentPassword)
		connect := func() string {
			resp, _ := b.post(acct+"/"+conn.ID+"/connect", nil)
			cb, err := up.Authorize(resp.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			return cb
		}
		resp, body := b.get(connect())
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already connected to another account") ||
			!strings.Contains(body, "Back to your account") || !e.hasEvent(store.EventFederationRefused, "reason", "linked_to_other_user") {
			t.Fatalf("connect of a taken account: %d %.400s", resp.StatusCode, body)
		}
		// Signed out between the button and the callback: refused.
		cb := connect()
		b.post(e.issuer+"/account/logout", nil)
		up.SetUser(fedtest.User{Subject: "g-free", Email: "free@acme.test", EmailVerified: yes()})
		resp, body = b.get(cb)
		if resp.StatusCode != http.StatusForbidden || !e.hasEvent(store.EventFederationRefused, "reason", "session_changed") {
			t.Fatalf("connect after sign-out: %d %.400s", resp.StatusCode, body)
		}
		if l := e.links(e.userByEmail(agentEmail).ID); len(l) != 0 {
			t.Fatalf("links: %+v", l)
		}
	})
}

// TestFederationJWKSNotHammered: tokens signed with unknown keys do not make
// Gatehouse refetch the upstream's JWKS on every sign-in: the opened
// connector (and its key cache with a refetch cooldown) is reused.
func TestFederationJWKSNotHammered(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-k", Email: "k@acme.test", EmailVerified: yes()})
		conn := e.connect(up, idp.ConnectionSpec{Kind: "google", JIT: true})
		up.SetFaults(fedtest.Faults{RandomKeyID: true})
		id, secret := e.webClient()
		r := e.rp(id, secret)
		for range 4 {
			b := e.browser()
			_, page := r.loginPage(b)
			res := b.federated(page, conn.ID, up)
			if res.rpQ != nil || res.resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("forged key accepted: %d", res.resp.StatusCode)
			}
		}
		if n := up.JWKSFetches(); n < 1 || n > 2 {
			t.Fatalf("JWKS fetched %d times for 4 forged tokens, want 1 or 2", n)
		}
		// A good token still works: the key it names is published.
		up.SetFaults(fedtest.Faults{})
		b := e.browser()
		v, page := r.loginPage(b)
		r.redeem(b.federated(page, conn.ID, up), v)
	})
}
