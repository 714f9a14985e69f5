package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
)

// Linking: proof of the local account at sign-in, and connected accounts
// on the account page (connect, disconnect, refusals).

// TestFederationLinkWithProof: a verified upstream email that matches a
// local account links only after that account's password.
func TestFederationLinkWithProof(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-alice", Email: agentEmail, EmailVerified: yes(), HostedDomain: "acme.test"})
		conn := e.connect(up, manage.ConnectionSpec{Kind: "google", LinkMode: "verified_email_with_proof"})
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
		if !e.hasEvent(audit.FederationRefused, "reason", "proof_failed") {
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
		if !e.hasEvent(audit.FederationLink, "via", "email_proof") {
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
		conn := e.connect(up, manage.ConnectionSpec{Kind: "google", LinkMode: "verified_email_with_proof"})
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

var disconnectForm = regexp.MustCompile(`name="connection_id" value="([^"]+)">\s*<input type="hidden" name="issuer" value="([^"]+)">\s*<input type="hidden" name="subject" value="([^"]+)">`)

// TestFederationAccountConnections: connect while signed in (a full
// upstream round trip), list, disconnect; the last way to sign in cannot be
// disconnected.
func TestFederationAccountConnections(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-acct", Email: "alice.private@gmail.test", EmailVerified: no()})
		conn := e.connect(up, manage.ConnectionSpec{Kind: "google", JIT: true})
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
		if !e.hasEvent(audit.FederationLink, "via", "account") {
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
		if l := e.links(alice.ID); len(l) != 0 || !e.hasEvent(audit.FederationUnlink, "connection_id", conn.ID) {
			t.Fatalf("after disconnect: %+v", l)
		}
	})
}

func TestFederationDisconnectLastMethodRefused(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-only", Email: "only@acme.test", EmailVerified: yes()})
		conn := e.connect(up, manage.ConnectionSpec{Kind: "google", JIT: true})
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
		if len(e.links(u.ID)) != 1 || !e.hasEvent(audit.FederationRefused, "reason", "last_sign_in_method") {
			t.Fatal("last link removed or refusal not audited")
		}
	})
}

// TestFederationConnectRefusals: connect refuses an upstream account linked
// to someone else, and a callback that comes back to another session.
func TestFederationConnectRefusals(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-taken", Email: "taken@acme.test", EmailVerified: yes()})
		conn := e.connect(up, manage.ConnectionSpec{Kind: "google", JIT: true})
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
			!strings.Contains(body, "Back to your account") || !e.hasEvent(audit.FederationRefused, "reason", "linked_to_other_user") {
			t.Fatalf("connect of a taken account: %d %.400s", resp.StatusCode, body)
		}
		// Signed out between the button and the callback: refused.
		cb := connect()
		b.post(e.issuer+"/account/logout", nil)
		up.SetUser(fedtest.User{Subject: "g-free", Email: "free@acme.test", EmailVerified: yes()})
		resp, body = b.get(cb)
		if resp.StatusCode != http.StatusForbidden || !e.hasEvent(audit.FederationRefused, "reason", "session_changed") {
			t.Fatalf("connect after sign-out: %d %.400s", resp.StatusCode, body)
		}
		if l := e.links(e.userByEmail(agentEmail).ID); len(l) != 0 {
			t.Fatalf("links: %+v", l)
		}
	})
}
