package e2e

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
)

// Federated sign-ins that must fail: upstream faults, linking refusals,
// replayed or foreign state, disabled connections, forged keys.

// TestFederationRefusals: every upstream or linking failure ends on a page
// that explains it, leads back to the login page, creates nothing and is
// audited with its reason.
func TestFederationRefusals(t *testing.T) {
	type tc struct {
		name   string
		kind   string // google | microsoft | oidc
		user   fedtest.User
		faults fedtest.Faults
		spec   manage.ConnectionSpec
		status int
		reason string
		text   string
		detail [2]string // an audit detail the refusal must carry
	}
	gUser := fedtest.User{Subject: "g-1", Email: "someone@acme.test", EmailVerified: yes(), HostedDomain: "acme.test"}
	msUser := fedtest.User{Subject: "ms-pairwise-2", Email: "ms@acme.test", TenantID: entraTID, ObjectID: entraOID, EDOV: yes()}
	msSpec := manage.ConnectionSpec{EntraTenant: "organizations", AllowedTenantIDs: []string{entraTID}, JIT: true}
	cases := []tc{
		{name: "wrong hd", kind: "google", user: fedtest.User{Subject: "g-2", Email: "x@other.test", EmailVerified: yes(), HostedDomain: "other.test"},
			spec: manage.ConnectionSpec{HostedDomains: []string{"acme.test"}, JIT: true}, status: 502, reason: "domain_not_allowed", text: "organization is not allowed"},
		{name: "entra tenant not allowlisted", kind: "microsoft",
			user: fedtest.User{Subject: "ms-pairwise-3", Email: "ms@other.test", TenantID: otherTID, ObjectID: entraOID, EDOV: yes()},
			spec: msSpec, status: 502, reason: "tenant_not_allowed", text: "organization is not allowed"},
		{name: "issuer mismatch with tid", kind: "microsoft", user: msUser, spec: msSpec,
			faults: fedtest.Faults{Issuer: "ISSUER_OTHER_TID"}, status: 502, reason: "issuer_mismatch", text: "could not verify"},
		{name: "bad signature", kind: "google", user: gUser, spec: manage.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{SignWithUnpublishedKey: true}, status: 502, reason: "token_invalid", text: "could not verify"},
		{name: "wrong audience", kind: "oidc", user: gUser, spec: manage.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{Audience: "someone-else"}, status: 502, reason: "token_invalid", text: "could not verify"},
		{name: "expired token", kind: "oidc", user: gUser, spec: manage.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{Expired: true}, status: 502, reason: "token_invalid", text: "could not verify"},
		{name: "missing nonce", kind: "google", user: gUser, spec: manage.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{Nonce: fedtest.NonceOmit}, status: 502, reason: "nonce_missing", text: "expired or was already used"},
		{name: "access denied", kind: "google", user: gUser, spec: manage.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{AuthorizeError: "access_denied", AuthorizeErrorDescription: "<script>x</script>"},
			status: 502, reason: "upstream_error", text: "cancelled or refused", detail: [2]string{"upstream_error", "access_denied"}},
		{name: "token endpoint OAuth error", kind: "oidc", user: gUser, spec: manage.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{TokenError: "invalid_client"}, status: 502, reason: "upstream_error", text: "could not complete",
			detail: [2]string{"upstream_error", "invalid_client"}},
		{name: "token endpoint 5xx", kind: "oidc", user: gUser, spec: manage.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{TokenStatus: 503}, status: 502, reason: "upstream_unavailable", text: "not reachable"},
		{name: "token endpoint bad JSON", kind: "oidc", user: gUser, spec: manage.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{TokenBody: "{not json"}, status: 502, reason: "upstream_unavailable", text: "not reachable"},
		{name: "token endpoint timeout", kind: "oidc", user: gUser, spec: manage.ConnectionSpec{JIT: true},
			faults: fedtest.Faults{TokenDelay: upTimeout + 500*time.Millisecond}, status: 502, reason: "upstream_unavailable", text: "not reachable"},
		{name: "unverified email with existing local account", kind: "google",
			user: fedtest.User{Subject: "g-3", Email: agentEmail, EmailVerified: no(), HostedDomain: "acme.test"},
			spec: manage.ConnectionSpec{LinkMode: "verified_email_with_proof", JIT: true}, status: 403, reason: "email_not_verified", text: "does not confirm"},
		{name: "verified email but link mode none", kind: "google",
			user: fedtest.User{Subject: "g-4", Email: agentEmail, EmailVerified: yes(), HostedDomain: "acme.test"},
			spec: manage.ConnectionSpec{LinkMode: "none", JIT: true}, status: 403, reason: "linking_disabled", text: "already exists"},
		{name: "JIT off", kind: "google", user: fedtest.User{Subject: "g-5", Email: "stranger@acme.test", EmailVerified: yes()},
			spec: manage.ConnectionSpec{JIT: false}, status: 403, reason: "jit_disabled", text: "not created automatically"},
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
				if c.detail[0] != "" && !e.hasEvent(audit.FederationRefused, c.detail[0], c.detail[1]) {
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
		conn := e.connect(up, manage.ConnectionSpec{Kind: "google", JIT: true})
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

// TestFederationDisabledConnection: no button, no start, no callback, no
// link; --end-sessions ends the sessions it created.
func TestFederationDisabledConnection(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-d", Email: "dis@acme.test", EmailVerified: yes()})
		conn := e.connect(up, manage.ConnectionSpec{Kind: "google", JIT: true})
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

		if _, n, err := e.srv.Manage().SetConnectionEnabled(ctx, e.acme, conn.ID, false, false); err != nil || n != 0 {
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
		if _, n, err := e.srv.Manage().SetConnectionEnabled(ctx, e.acme, conn.ID, false, true); err != nil || n != 1 {
			t.Fatalf("disable --end-sessions: ended %d, %v", n, err)
		}
		sess, _ = e.store.SessionByID(ctx, e.acme.ID, c.SID)
		if sess.Active(e.clock.Now()) || sess.EndReason != "connection_disabled" {
			t.Fatalf("session after --end-sessions: %+v", sess)
		}

		// Removed: links go, the callback URL is dead.
		if _, err := e.srv.Manage().RemoveConnection(ctx, e.acme, conn.ID, true); err != nil {
			t.Fatal(err)
		}
		if l := e.links(e.userByEmail("dis@acme.test").ID); len(l) != 0 {
			t.Fatalf("links survived removal: %+v", l)
		}
	})
}

// TestFederationJWKSNotHammered: tokens signed with unknown keys do not make
// Gatehouse refetch the upstream's JWKS on every sign-in: the opened
// connector (and its key cache with a refetch cooldown) is reused.
func TestFederationJWKSNotHammered(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-k", Email: "k@acme.test", EmailVerified: yes()})
		conn := e.connect(up, manage.ConnectionSpec{Kind: "google", JIT: true})
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

// syncBuffer collects log output from the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestFederationLogs: refusals are logged with the upstream's error code;
// no code, state, nonce, verifier or client secret reaches a log line.
func TestFederationLogs(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			if backend == "postgres" && os.Getenv("GATEHOUSE_SKIP_POSTGRES") == "1" {
				t.Skip("GATEHOUSE_SKIP_POSTGRES=1")
			}
			logs := &syncBuffer{}
			e := newEnv(t, backend, func(o *idp.Options) {
				o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				o.UpstreamHTTPClient = &http.Client{Timeout: upTimeout}
			})
			up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-log", Email: "log@acme.test", EmailVerified: yes()})
			conn := e.connect(up, manage.ConnectionSpec{Kind: "google", JIT: true})
			id, secret := e.webClient()
			r := e.rp(id, secret)

			var secrets []string
			run := func() fedResult {
				b := e.browser()
				_, page := r.loginPage(b)
				res := b.federated(page, conn.ID, up)
				q, _ := url.Parse(res.cbURL)
				for _, k := range []string{"code", "state"} {
					if v := q.Query().Get(k); v != "" {
						secrets = append(secrets, v)
					}
				}
				a := up.LastAuthorizeRequest()
				secrets = append(secrets, a.Get("nonce"), a.Get("code_challenge"))
				return res
			}
			if res := run(); res.rpQ == nil {
				t.Fatalf("sign-in failed: %d", res.resp.StatusCode)
			}
			up.SetFaults(fedtest.Faults{AuthorizeError: "access_denied"})
			run()
			up.SetFaults(fedtest.Faults{TokenError: "invalid_grant"})
			run()
			out := logs.String()
			for _, want := range []string{"upstream_error=access_denied", "upstream_error=invalid_grant", "reason=upstream_error"} {
				if !strings.Contains(out, want) {
					t.Errorf("logs lack %q", want)
				}
			}
			for _, s := range append(secrets, up.ClientSecret) {
				if s != "" && strings.Contains(out, s) {
					t.Fatalf("a secret value (%.6s…) reached the logs", s)
				}
			}
		})
	}
}
