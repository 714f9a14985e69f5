package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
)

// TestMFANoShortcuts: between the password and the second factor, no URL,
// called in any order, yields a code, a token or a session; the steps
// refuse requests that do not belong to their stage; another user's factor
// cannot be used.
func TestMFANoShortcuts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.setMFA("always", nil, 0)
		id, secret := e.webClient()
		r := e.rp(id, secret)

		// Bob enrolls first, so he has a factor.
		bob, err := e.srv.Manage().CreateUser(ctx, e.acme, manage.UserSpec{Email: "bob@acme.test", Role: "agent", Password: agentPassword})
		if err != nil {
			t.Fatal(err)
		}
		bb := e.browser()
		_, authURL := r.start()
		resp, body := bb.passwordStepAs(authURL, bob.Email, agentPassword)
		bobAR, _ := at2FA(resp, body)
		bb.enrollTOTPInLogin(bobAR)
		bobFactors, _ := e.store.ListFactors(ctx, e.acme.ID, bob.ID)

		// Before any password: every 2FA URL is refused for a fresh request.
		b := e.browser()
		_, authURL = r.start()
		resp, body = b.get(authURL)
		freshAR := hiddenID.FindStringSubmatch(body)[1]
		for _, path := range []string{"", "/send", "/enroll", "/enroll/verify", "/codes"} {
			if resp, _ := b.mfaPost(path, freshAR, url.Values{"code": {"123456"}, "kind": {"totp"}}); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("POST /login/2fa%s before the password: %d", path, resp.StatusCode)
			}
		}
		if resp, _ := b.get(e.issuer + "/login/2fa?id=" + freshAR); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /login/2fa before the password: %d", resp.StatusCode)
		}

		// After the password, at the enrollment step (alice has no factor).
		v, authURL := r.start()
		resp, body = b.passwordStep(authURL)
		arID, ok := at2FA(resp, body)
		if !ok {
			t.Fatal("no 2FA page")
		}
		try := func(what string, resp *http.Response) {
			t.Helper()
			if q := rpRedirectQuery(resp); q != nil && (q.Get("code") != "" || q.Get("error") == "") {
				t.Fatalf("%s reached the relying party: %v", what, q)
			}
			if loc := resp.Header.Get("Location"); strings.Contains(loc, "code=") {
				t.Fatalf("%s issued a code: %s", what, loc)
			}
		}
		// The callback of another pending transaction answers with an error, not a code.
		b2 := e.browser()
		_, cbURL := r.start()
		resp, body = b2.passwordStep(cbURL)
		cbAR, _ := at2FA(resp, body)
		resp, _ = b2.get(e.issuer + "/authorize/callback?id=" + cbAR)
		try("the callback", resp)
		resp, _ = b.mfaPost("/codes", arID, url.Values{"saved": {"on"}})
		try("skipping to the codes step", resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("codes step at enroll: %d", resp.StatusCode)
		}
		resp, _ = b.get(e.issuer + "/login/2fa/codes.txt?id=" + arID)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("codes.txt at enroll: %d", resp.StatusCode)
		}
		resp, _ = b.mfaPost("", arID, url.Values{"factor": {bobFactors[0].ID}, "code": {"123456"}})
		try("a challenge at the enroll step", resp)
		resp, _ = b.mfaPost("/enroll/verify", arID, url.Values{"code": {"123456"}})
		try("verifying nothing", resp)
		resp, _ = b.get(e.issuer + "/account")
		try("the account page", resp)
		if !strings.Contains(resp.Request.URL.Path, "/login") {
			t.Errorf("account page without a session: %s", resp.Request.URL)
		}
		// A new authorize request (SSO attempt) finds no session.
		_, other := r.start()
		resp, body = b.get(other)
		if !strings.Contains(body, `name="password"`) {
			t.Fatalf("a second request skipped the login: %d", resp.StatusCode)
		}
		// prompt=none fails instead of signing in.
		_, none := r.start(oauth2.SetAuthURLParam("prompt", "none"))
		resp, _ = b.get(none)
		if q := rpRedirectQuery(resp); q == nil || q.Get("error") != "login_required" {
			t.Fatalf("prompt=none during 2FA: %v", q)
		}
		if sess, _ := e.store.ListUserSessions(ctx, e.acme.ID, e.agent().ID); len(sess) != 0 {
			t.Fatalf("%d sessions before the second factor", len(sess))
		}
		for _, c := range b.client.Jar.Cookies(mustURL(e.issuer)) {
			if strings.Contains(c.Name, "session") {
				t.Fatalf("session cookie %s before the second factor", c.Name)
			}
		}

		// The other tenant cannot see this transaction.
		resp, _ = b.get(e.hs.URL + "/t/other/login/2fa?id=" + arID)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("2FA page through another tenant: %d", resp.StatusCode)
		}

		// The right way still works afterwards.
		b.enrollTOTPInLogin(arID)
		resp, _ = b.mfaPost("/codes", arID, nil)
		r.exchange(rpRedirectQuery(resp), v)
		// And the finished transaction cannot be replayed.
		resp, _ = b.mfaPost("/codes", arID, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("finished transaction replayed: %d", resp.StatusCode)
		}
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestMFACrossSitePostsRefused: the second-factor and account-security
// forms refuse cross-site POSTs (CSRF), before reading anything.
func TestMFACrossSitePostsRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		b := e.browser()
		for _, path := range []string{"/login/2fa", "/login/2fa/send", "/login/2fa/enroll", "/login/2fa/codes",
			"/login/2fa/webauthn/begin", "/login/passkey/begin", "/login/passkey/finish",
			"/account/security/enroll", "/account/security/factor/x/remove", "/account/security/backup-codes/regenerate"} {
			req, _ := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader("id=x&code=123456"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "https://evil.example")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			resp, err := b.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("cross-site POST %s: %d, want 403", path, resp.StatusCode)
			}
		}
	})
}
