package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
)

// TestAuthorizeRefusals: anything wrong with client or redirect URI is an
// error page, never a redirect.
func TestAuthorizeRefusals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		otherID, _ := e.client(e.other, manage.ClientSpec{RedirectURIs: []string{rpRedirect}})
		r := e.rp(id, secret)
		_, ch := pkce()
		good := r.authURL("s", ch)
		cases := map[string]string{
			"unknown client":       strings.Replace(good, "client_id="+id, "client_id=nope", 1),
			"missing client":       strings.Replace(good, "client_id="+id, "", 1),
			"tenant A client at B": strings.Replace(good, "/t/acme/", "/t/other/", 1),
			"client of B at A":     strings.Replace(good, "client_id="+id, "client_id="+otherID, 1),
			"missing redirect":     withRedirect(good, ""),
			"trailing slash":       withRedirect(good, rpRedirect+"/"),
			"case":                 withRedirect(good, strings.Replace(rpRedirect, "callback", "Callback", 1)),
			"host case":            withRedirect(good, strings.Replace(rpRedirect, "helpdesk", "HELPDESK", 1)),
			"added query":          withRedirect(good, rpRedirect+"?next=/admin"),
			"fragment":             withRedirect(good, rpRedirect+"#x"),
			"userinfo @":           withRedirect(good, "https://helpdesk.acme.test@evil.test/oidc/callback"),
			"path segment":         withRedirect(good, rpRedirect+"/extra"),
			"dot segment":          withRedirect(good, "https://helpdesk.acme.test/oidc/x/../callback"),
			"http downgrade":       withRedirect(good, strings.Replace(rpRedirect, "https", "http", 1)),
			"other host":           withRedirect(good, "https://evil.test/oidc/callback"),
			"encoded path":         withRedirect(good, "https://helpdesk.acme.test/oidc/callbac%6B"),
			"oversize state":       good + "&state2=" + strings.Repeat("a", 5000),
			"unknown tenant":       strings.Replace(good, "/t/acme/", "/t/nope/", 1),
		}
		for name, u := range cases {
			resp, body := e.browser().get(u)
			if loc := resp.Header.Get("Location"); loc != "" && !strings.HasPrefix(loc, e.hs.URL) {
				t.Errorf("%s: redirected to %q", name, loc)
			}
			if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: status %d, want an error page (400/404)", name, resp.StatusCode)
			}
			if !strings.Contains(body, "<html") {
				t.Errorf("%s: not an HTML error page: %.200s", name, body)
			}
		}
		// Nothing was stored for any of them: only a good request creates one.
		n := e.countAuthRequests()
		if n != 0 {
			t.Errorf("refused requests left %d auth requests behind", n)
		}
	})
}

func withRedirect(authURL, redirect string) string {
	u, _ := url.Parse(authURL)
	q := u.Query()
	if redirect == "" {
		q.Del("redirect_uri")
	} else {
		q.Set("redirect_uri", redirect)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// countAuthRequests counts auth requests of tenant acme via the audit-free
// store path: look up a request id that cannot exist and list through
// expiry sweeping instead.
func (e *env) countAuthRequests() int64 {
	e.t.Helper()
	// Sweep everything created up to now + a day: the count is what existed.
	n, err := e.store.DeleteExpiredAuthRequests(e.ctx, e.clock.Now().Add(48*time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestPKCERules: required for public clients, S256 only, verifier checked,
// and a failed exchange changes nothing.
func TestPKCERules(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		pubID, _ := e.client(e.acme, manage.ClientSpec{Name: "Desktop", Public: true, RedirectURIs: []string{rpRedirect}})
		pub := e.rp(pubID, "")
		b := e.browser()
		// Public client without PKCE: invalid_request back at the RP.
		resp, _ := b.get(pub.authURL("np"))
		if q := rpRedirectQuery(resp); q == nil || q.Get("error") != "invalid_request" {
			t.Fatalf("public client without PKCE: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		// plain is refused.
		resp, _ = b.get(pub.authURL("pl", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)), oauth2.SetAuthURLParam("code_challenge_method", "plain")))
		if q := rpRedirectQuery(resp); q == nil || q.Get("error") != "invalid_request" {
			t.Fatalf("plain PKCE: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}

		// Confidential client with PKCE: missing and wrong verifiers fail and
		// leave the code redeemable with the right one.
		id, secret := e.webClient()
		r := e.rp(id, secret)
		v, ch := pkce()
		q := b.login(r.authURL("s", ch), agentEmail, agentPassword)
		code := q.Get("code")
		for name, verifier := range map[string]string{"missing": "", "wrong": oauth2.GenerateVerifier()} {
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirect}}
			if verifier != "" {
				form.Set("code_verifier", verifier)
			}
			st, body := e.tokenForm(form, id, secret)
			if st != 400 || body["error"] != "invalid_grant" && body["error"] != "invalid_request" {
				t.Fatalf("%s verifier: %d %v", name, st, body)
			}
		}
		// Wrong secret, other client, other redirect URI: refused, nothing changed.
		id2, secret2 := e.client(e.acme, manage.ClientSpec{Name: "Other app", RedirectURIs: []string{rpRedirect, rpRedirect + "2"}})
		base := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirect}, "code_verifier": {v}}
		if st, body := e.tokenForm(base, id, "wrong-secret"); st != 401 || body["error"] != "invalid_client" {
			t.Fatalf("wrong secret: %d %v", st, body)
		}
		if st, body := e.tokenForm(base, id2, secret2); st != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("code presented by another client: %d %v", st, body)
		}
		other := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirect + "2"}, "code_verifier": {v}}
		if st, body := e.tokenForm(other, id, secret); st != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("other redirect URI: %d %v", st, body)
		}
		// The right request still works: nothing above consumed the code.
		tok, err := r.oauth.Exchange(e.ctx, code, oauth2.VerifierOption(v))
		if err != nil {
			t.Fatalf("code unusable after refused attempts: %v", err)
		}
		// Reuse: refused, and the tokens of the first redemption are revoked.
		if st, body := e.tokenForm(base, id, secret); st != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("code reuse: %d %v", st, body)
		}
		if got := e.introspect(id, secret, tok.AccessToken); got["active"] != false {
			t.Fatalf("access token from a reused code still active: %v", got)
		}
		if st, _ := e.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, id, secret); st != 400 {
			t.Fatalf("refresh token from a reused code still works: %d", st)
		}
	})
}

// TestCodeExpiry: a code not redeemed within its lifetime is refused.
func TestCodeExpiry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		v, ch := pkce()
		q := e.browser().login(r.authURL("s", ch), agentEmail, agentPassword)
		e.clock.Advance(3 * time.Minute)
		if _, err := r.oauth.Exchange(e.ctx, q.Get("code"), oauth2.VerifierOption(v)); err == nil {
			t.Fatal("expired code accepted")
		}
	})
}

// TestConcurrentCodeRedemption: 20 simultaneous exchanges of one code give
// exactly one token response.
func TestConcurrentCodeRedemption(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		v, ch := pkce()
		q := e.browser().login(r.authURL("s", ch), agentEmail, agentPassword)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {rpRedirect}, "code_verifier": {v}}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, _ := e.tokenForm(form, id, secret)
				if st == 200 {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d winners, want exactly 1", wins)
		}
	})
}

// TestTokenEndpointBadInput: malformed bodies and unknown grants are
// clear OAuth errors.
func TestTokenEndpointBadInput(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		otherID, otherSecret := e.client(e.other, manage.ClientSpec{Name: "B", Grants: []string{"client_credentials"}})
		post := func(body, user, pass string) (int, map[string]any) {
			req, _ := http.NewRequest("POST", e.issuer+"/oauth/token", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if user != "" {
				req.SetBasicAuth(user, pass)
			}
			resp, err := e.hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			return resp.StatusCode, decodeJSON(t, resp.Body)
		}
		cases := []struct {
			name string
			body string
			user string
			pass string
			code int
			err  string
		}{
			{"bad percent encoding", "grant_type=%zz", id, secret, 400, "invalid_request"},
			{"unknown grant", "grant_type=password&username=a&password=b", id, secret, 400, "unsupported_grant_type"},
			{"missing code", "grant_type=authorization_code", id, secret, 400, "invalid_request"},
			{"unknown code", "grant_type=authorization_code&code=nope&redirect_uri=" + url.QueryEscape(rpRedirect) + "&code_verifier=" + strings.Repeat("a", 43), id, secret, 400, "invalid_grant"},
			{"unknown client", "grant_type=client_credentials", "nope", "x", 401, "invalid_client"},
			{"tenant B client at A", "grant_type=client_credentials", otherID, otherSecret, 401, "invalid_client"},
			{"oversize body", "grant_type=client_credentials&pad=" + strings.Repeat("x", 70<<10), otherID, otherSecret, 400, ""},
		}
		for _, c := range cases {
			st, body := post(c.body, c.user, c.pass)
			if st != c.code || c.err != "" && body["error"] != c.err {
				t.Errorf("%s: got %d %v, want %d %s", c.name, st, body, c.code, c.err)
			}
		}
	})
}

// TestFailedLoginsLookAlike: unknown user, wrong password and a user without
// a password get the same status and the same page.
func TestFailedLoginsLookAlike(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		if _, err := e.srv.Manage().CreateUser(e.ctx, e.acme, manage.UserSpec{Email: "nopw@acme.test"}); err != nil {
			t.Fatal(err)
		}
		id, secret := e.webClient()
		r := e.rp(id, secret)
		type result struct {
			status int
			body   string
		}
		try := func(email, pw string) result {
			b := e.browser()
			_, ch := pkce()
			_, page := b.get(r.authURL("s", ch))
			m := hiddenID.FindStringSubmatch(page)
			resp, body := b.post(e.issuer+"/login", url.Values{"id": {m[1]}, "email": {email}, "password": {pw}})
			body = strings.ReplaceAll(body, m[1], "ID")
			body = strings.ReplaceAll(body, email, "EMAIL")
			return result{resp.StatusCode, body}
		}
		unknown := try("ghost@acme.test", "whatever-password-1")
		wrong := try(agentEmail, "whatever-password-1")
		nopw := try("nopw@acme.test", "whatever-password-1")
		if unknown != wrong || wrong != nopw {
			t.Fatalf("failed logins differ:\nunknown=%d\nwrong=%d\nnopw=%d", unknown.status, wrong.status, nopw.status)
		}
		if unknown.status != http.StatusUnauthorized || !strings.Contains(unknown.body, "Incorrect email or password.") {
			t.Fatalf("unexpected failed-login page: %d", unknown.status)
		}
	})
}

// TestCrossSiteLoginPostRefused: the login form refuses cross-origin posts.
func TestCrossSiteLoginPostRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		req, _ := http.NewRequest("POST", e.issuer+"/login", strings.NewReader("id=x&email=a&password=b"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.test")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := e.hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site login post: %d, want 403", resp.StatusCode)
		}
	})
}

var _ = oidc.ScopeOpenID
