package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
)

// sessionCookieValue returns the browser's SSO cookie for the acme tenant.
func (b *browser) sessionCookieValue() string {
	u, _ := url.Parse(b.e.issuer)
	for _, c := range b.client.Jar.Cookies(u) {
		if strings.Contains(c.Name, "gh_session_acme") {
			return c.Value
		}
	}
	return ""
}

// withCookie returns a fresh browser holding only the named acme cookie.
func (e *env) browserWithSessionCookie(value string) *browser {
	b := e.browser()
	u, _ := url.Parse(e.issuer)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "__Host-gh_session_acme", Value: value, Path: "/", Secure: true}})
	return b
}

// reauth signs in again with prompt=login as email and returns the tokens.
func (r *rp) reauth(b *browser, email, pw string) *oauth2.Token {
	r.e.t.Helper()
	v, ch := pkce()
	q := b.login(r.authURL("re", ch, oidc.Nonce("n-re"), oauth2.SetAuthURLParam("prompt", "login")), email, pw)
	tok, err := r.oauth.Exchange(r.e.ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		r.e.t.Fatalf("exchange after re-authentication: %v", err)
	}
	return tok
}

// TestReauthKeepsOtherApps: prompt=login (or an exceeded max_age) by the
// same person rotates the session cookie and refreshes auth_time, but the
// tokens every app got from that session stay active; a different person
// signing in on that browser ends the session and its tokens.
func TestReauthKeepsOtherApps(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id1, s1 := e.webClient()
		id2, s2 := e.client(e.acme, manage.ClientSpec{Name: "Reports", RedirectURIs: []string{rpRedirect}})
		r1, r2 := e.rp(id1, s1), e.rp(id2, s2)
		b := e.browser()
		tok1 := r1.signIn(b)
		tok2 := e.ssoToken(r2, b)
		_, c1 := r1.idToken(tok1)
		oldCookie := b.sessionCookieValue()
		if oldCookie == "" {
			t.Fatal("no session cookie after sign-in")
		}

		active := func(what string, want bool, tokens ...[3]string) {
			t.Helper()
			for _, tk := range tokens {
				if got := e.introspect(tk[0], tk[1], tk[2]); got["active"] != want {
					t.Fatalf("%s: introspection of an earlier token (%s of %s): %v, want active=%v", what, tk[2][:8], tk[0][:6], got, want)
				}
			}
		}
		earlier := [][3]string{{id1, s1, tok1.AccessToken}, {id1, s1, tok1.RefreshToken}, {id2, s2, tok2.AccessToken}, {id2, s2, tok2.RefreshToken}}

		// Same person, prompt=login: the earlier tokens of both apps stay active.
		e.clock.Advance(time.Minute)
		tok3 := r1.reauth(b, agentEmail, agentPassword)
		active("after re-authentication by the same user", true, earlier...)
		_, c3 := r1.idToken(tok3)
		if c3.SID != c1.SID {
			t.Fatalf("sid changed on re-authentication: %q -> %q", c1.SID, c3.SID)
		}
		if c3.AuthTime <= c1.AuthTime {
			t.Fatalf("auth_time not refreshed: %d -> %d", c1.AuthTime, c3.AuthTime)
		}
		// A refresh of the earlier family still works (it rotates the
		// refresh token: follow the family).
		earlier[3][2] = e.refresh(r2, tok2.RefreshToken).RefreshToken

		// The cookie was rotated: the old value is no session any more.
		newCookie := b.sessionCookieValue()
		if newCookie == "" || newCookie == oldCookie {
			t.Fatal("session cookie not rotated on re-authentication")
		}
		_, ch := pkce()
		if resp, body := e.browserWithSessionCookie(oldCookie).get(r2.authURL("old", ch)); resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
			t.Fatalf("the pre-rotation cookie still signs in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		// The rotated cookie is the session.
		e.ssoToken(r2, b)

		// max_age exceeded: same rules.
		e.clock.Advance(2 * time.Minute)
		v, ch := pkce()
		q := b.login(r1.authURL("ma", ch, oauth2.SetAuthURLParam("max_age", "60")), agentEmail, agentPassword)
		if _, err := r1.oauth.Exchange(e.ctx, q.Get("code"), oauth2.VerifierOption(v)); err != nil {
			t.Fatal(err)
		}
		active("after max_age re-authentication", true, earlier...)

		// A different person on that browser: the previous session ends.
		if _, err := e.srv.Manage().CreateUser(e.ctx, e.acme, manage.UserSpec{Email: "bob@acme.test", Password: "Another-Strong-Pass-91"}); err != nil {
			t.Fatal(err)
		}
		bob := r1.reauth(b, "bob@acme.test", "Another-Strong-Pass-91")
		active("after another user signed in", false, append(earlier, [3]string{id1, s1, tok3.AccessToken})...)
		if _, cb := r1.idToken(bob); cb.SID == c1.SID {
			t.Fatal("another user's sign-in reused the session")
		}
	})
}
