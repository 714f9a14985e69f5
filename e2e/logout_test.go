package e2e

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
)

var (
	logoutFormRE   = regexp.MustCompile(`<form method="post" action="([^"]+/end_session/confirm)">`)
	hiddenFieldsRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// logoutForm returns the confirmation form of an end_session page.
func logoutForm(t *testing.T, page string) (string, url.Values) {
	t.Helper()
	m := logoutFormRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no sign-out confirmation form: %.500s", page)
	}
	form := url.Values{}
	for _, f := range hiddenFieldsRE.FindAllStringSubmatch(page, -1) {
		form.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	return html.UnescapeString(m[1]), form
}

// signedIn is an agent signed in to a web client in a browser.
type signedIn struct {
	id, secret string
	r          *rp
	b          *browser
	tok        *oauth2.Token
	sid, hint  string // the session id and the raw ID token
}

func (e *env) signedInAgent() signedIn {
	e.t.Helper()
	a := signedIn{b: e.browser()}
	a.id, a.secret = e.webClient()
	a.r = e.rp(a.id, a.secret)
	a.tok = a.r.signIn(a.b)
	_, c := a.r.idToken(a.tok)
	a.sid = c.SID
	a.hint, _ = a.tok.Extra("id_token").(string)
	return a
}

// bobToken creates a second user, bob, and returns his tokens from a code
// flow in a browser of his own.
func (e *env) bobToken(r *rp) *oauth2.Token {
	e.t.Helper()
	if _, err := e.srv.Manage().CreateUser(e.ctx, e.acme, manage.UserSpec{Email: "bob@acme.test", Password: "Another-Strong-Pass-91"}); err != nil {
		e.t.Fatal(err)
	}
	v, ch := pkce()
	q := e.browser().login(r.authURL("b", ch), "bob@acme.test", "Another-Strong-Pass-91")
	tok, err := r.oauth.Exchange(e.ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *env) sessionActive(sid string) bool {
	e.t.Helper()
	sess, err := e.store.SessionByID(e.ctx, e.acme.ID, sid)
	if err != nil {
		e.t.Fatal(err)
	}
	return sess.Active(e.clock.Now())
}

// TestLogoutNeedsConfirmation (issue 8, defect 11): without a valid
// id_token_hint for the browser's own user, end_session only asks; the
// session ends when the person confirms with a same-origin form post, so a
// link or image on another site cannot sign anyone out.
func TestLogoutNeedsConfirmation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		a := e.signedInAgent()
		id, secret, r, b, tok := a.id, a.secret, a.r, a.b, a.tok
		bobTok := e.bobToken(r)
		bobHint, _ := bobTok.Extra("id_token").(string)
		_, bc := r.idToken(bobTok)

		es := e.issuer + "/end_session"
		for name, u := range map[string]string{
			"bare GET":                     es,
			"client_id and registered URI": es + "?" + url.Values{"client_id": {id}, "post_logout_redirect_uri": {rpPostLogout}, "state": {"s"}}.Encode(),
			"garbage hint":                 es + "?" + url.Values{"id_token_hint": {"garbage"}, "post_logout_redirect_uri": {rpPostLogout}}.Encode(),
			"another user's hint":          es + "?" + url.Values{"id_token_hint": {bobHint}, "post_logout_redirect_uri": {rpPostLogout}}.Encode(),
		} {
			resp, body := b.get(u)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
				t.Fatalf("%s: %d %q, want the confirmation page", name, resp.StatusCode, resp.Header.Get("Location"))
			}
			logoutForm(t, body)
			if !e.sessionActive(a.sid) {
				t.Fatalf("%s ended the session without confirmation", name)
			}
		}
		if !e.sessionActive(bc.SID) {
			t.Fatal("a hint sent from another user's browser ended the hint's session")
		}
		// The browser still has its session: SSO works.
		_ = e.ssoToken(r, b)

		// A cross-site post of the confirmation is refused.
		_, page := b.get(es + "?" + url.Values{"client_id": {id}, "post_logout_redirect_uri": {rpPostLogout}, "state": {"s"}}.Encode())
		action, form := logoutForm(t, page)
		if resp, _ := b.postWith(action, form, map[string]string{"Origin": "https://evil.test", "Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site confirmation: %d", resp.StatusCode)
		}
		if !e.sessionActive(a.sid) {
			t.Fatal("cross-site confirmation ended the session")
		}
		// Confirming ends the session and follows the registered URI with state.
		resp, _ := b.post(action, form)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != rpPostLogout+"?state=s" {
			t.Fatalf("confirmed logout: %d %q, want 303 to the registered URI", resp.StatusCode, loc)
		}
		if e.sessionActive(a.sid) {
			t.Fatal("confirmed logout left the session active")
		}
		if got := e.introspect(id, secret, tok.AccessToken); got["active"] != false {
			t.Fatalf("access token active after logout: %v", got)
		}
		resp, body := b.get(r.authURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
			t.Fatalf("after logout expected the login page, got %d", resp.StatusCode)
		}
		if !e.sessionActive(bc.SID) {
			t.Fatal("alice's logout ended bob's session")
		}
	})
}

// TestLogoutUnregisteredRedirect (issue 8, defect 11): an unregistered
// post_logout_redirect_uri is never followed — not even with a valid hint;
// the person confirms and reaches Gatehouse's "Signed out" page, and the
// session ends.
func TestLogoutUnregisteredRedirect(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		a := e.signedInAgent()
		id, b, raw := a.id, a.b, a.hint
		for name, v := range map[string]url.Values{
			"valid hint":          {"id_token_hint": {raw}, "post_logout_redirect_uri": {"https://evil.test/"}, "state": {"x"}},
			"client_id":           {"client_id": {id}, "post_logout_redirect_uri": {"https://evil.test/"}},
			"registered, no hint": {"post_logout_redirect_uri": {rpPostLogout}},
		} {
			resp, body := b.get(e.issuer + "/end_session?" + v.Encode())
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" || strings.Contains(body, `"error"`) {
				t.Fatalf("%s: %d %q %.300s, want the confirmation page", name, resp.StatusCode, resp.Header.Get("Location"), body)
			}
			if !e.sessionActive(a.sid) {
				t.Fatalf("%s: session ended before confirmation", name)
			}
		}
		_, page := b.get(e.issuer + "/end_session?" + url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {"https://evil.test/"}}.Encode())
		action, form := logoutForm(t, page)
		// Even if the form is edited to carry the address, nothing redirects there.
		form.Set("post_logout_redirect_uri", "https://evil.test/")
		resp, body := b.post(action, form)
		if loc := resp.Header.Get("Location"); loc != "" && !strings.HasPrefix(loc, e.hs.URL) {
			t.Fatalf("followed an unregistered post-logout URI: %q", loc)
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Signed out") {
			t.Fatalf("after confirming: %d %.300s, want the Signed out page", resp.StatusCode, body)
		}
		if e.sessionActive(a.sid) {
			t.Fatal("session still active after confirming")
		}
	})
}

// TestBrowserLogoutConfirm: in a real browser, end_session without a hint
// shows the confirmation; confirming signs out and follows the registered
// post-logout URI with state (the page's CSP form-action allows the
// redirect after the POST).
func TestBrowserLogoutConfirm(t *testing.T) {
	e := newEnv(t, "sqlite")
	app := newHelpdeskApp(t)
	id, secret := e.client(e.acme, manage.ClientSpec{Name: "Acme Helpdesk", RedirectURIs: []string{app.URL + "/cb"},
		PostLogoutRedirectURIs: []string{app.URL + "/cb"}})
	r := e.rp(id, secret)
	r.oauth.RedirectURL = app.URL + "/cb"
	ctx := chromium(t)
	_, ch := pkce()
	err := browse(ctx,
		chromedp.Navigate(r.authURL("st", ch)),
		chromedp.SendKeys(`#email`, agentEmail),
		chromedp.SendKeys(`#password`, agentPassword),
		chromedp.Click(`form button[type="submit"]`),
		chromedp.WaitVisible(`#helpdesk`),
		chromedp.Navigate(e.issuer+"/end_session?"+url.Values{"client_id": {id}, "post_logout_redirect_uri": {app.URL + "/cb"}, "state": {"bye"}}.Encode()),
		chromedp.WaitVisible(`form[action$="/end_session/confirm"] button`),
	)
	if err != nil {
		t.Fatalf("reach the sign-out confirmation: %v", err)
	}
	u, err := e.store.UserByEmail(e.ctx, e.acme.ID, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := e.store.ListUserSessions(e.ctx, e.acme.ID, u.ID)
	if err != nil || len(sessions) != 1 || !sessions[0].Active(e.clock.Now()) {
		t.Fatalf("before confirming: %d sessions, %v", len(sessions), err)
	}
	// Bounded: a redirect blocked by the page's CSP would wait forever.
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err = browse(wait,
		chromedp.Click(`form[action$="/end_session/confirm"] button`),
		chromedp.WaitVisible(`#helpdesk`),
	)
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || loc != app.URL+"/cb?state=bye" {
		t.Fatalf("after confirming: at %q, %v", loc, err)
	}
	if e.sessionActive(sessions[0].ID) {
		t.Fatal("the session is still active after confirming")
	}
}
