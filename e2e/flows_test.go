package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
)

func decodeJSON(t testing.TB, r io.Reader) map[string]any {
	t.Helper()
	var m map[string]any
	b, _ := io.ReadAll(r)
	if len(b) == 0 {
		return map[string]any{}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return map[string]any{"_raw": string(b)}
	}
	return m
}

type idClaims struct {
	Sub           string   `json:"sub"`
	Email         string   `json:"email"`
	EmailVerified *bool    `json:"email_verified"`
	Name          string   `json:"name"`
	AuthTime      int64    `json:"auth_time"`
	AMR           []string `json:"amr"`
	ACR           string   `json:"acr"`
	SID           string   `json:"sid"`
	Tenant        string   `json:"tenant"`
	Roles         []string `json:"roles"`
	Nonce         string   `json:"nonce"`
}

func (r *rp) idToken(tok *oauth2.Token) (*oidc.IDToken, idClaims) {
	r.e.t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		r.e.t.Fatal("no id_token in token response")
	}
	idt, err := r.verifier.Verify(r.e.ctx, raw)
	if err != nil {
		r.e.t.Fatalf("verify id token: %v", err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		r.e.t.Fatal(err)
	}
	return idt, c
}

// TestCodeFlowEndToEnd: discovery, code + PKCE, ID token, userinfo, refresh
// with rotation, reuse revoking the family, introspection, revocation,
// RP-initiated logout and refresh after logout.
func TestCodeFlowEndToEnd(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		tok := r.signIn(b)

		// ID token claims.
		idt, c := r.idToken(tok)
		if idt.Issuer != e.issuer || c.Email != agentEmail || c.EmailVerified == nil || c.Name != "Alice Agent" ||
			c.Nonce != "n-1" || c.Tenant != "acme" || !slices.Equal(c.Roles, []string{"agent"}) ||
			!slices.Equal(c.AMR, []string{"pwd"}) || c.ACR == "" || c.SID == "" || c.AuthTime == 0 || c.Sub == "" {
			t.Fatalf("id token claims incomplete: %+v", c)
		}

		// Userinfo returns the same identity.
		ui, err := r.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		var uc idClaims
		_ = ui.Claims(&uc)
		if uc.Sub != c.Sub || uc.Email != agentEmail || uc.Name != "Alice Agent" || uc.Tenant != "acme" || uc.SID != c.SID {
			t.Fatalf("userinfo claims %+v differ from id token %+v", uc, c)
		}

		// Introspection of the access token.
		if got := e.introspect(id, secret, tok.AccessToken); got["active"] != true || got["sub"] != c.Sub || got["client_id"] != id {
			t.Fatalf("introspect access token: %v", got)
		}

		// Refresh rotates.
		r1 := tok.RefreshToken
		if r1 == "" {
			t.Fatal("no refresh token although offline_access was asked")
		}
		tok2 := e.refresh(r, r1)
		if tok2.RefreshToken == "" || tok2.RefreshToken == r1 {
			t.Fatal("refresh token not rotated")
		}
		// Reuse of r1 is refused and revokes the family (tok2's refresh token too).
		if st, body := e.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r1}}, id, secret); st != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("reused refresh token: %d %v", st, body)
		}
		if st, body := e.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok2.RefreshToken}}, id, secret); st != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("family member after reuse: %d %v", st, body)
		}
		if got := e.introspect(id, secret, tok2.AccessToken); got["active"] != false {
			t.Fatalf("access token of a revoked family still active: %v", got)
		}

		// A fresh sign-in (SSO) gives a new family; revoke its refresh token.
		tok3 := e.ssoToken(r, b)
		if st, _ := e.postJSON(e.issuer+"/revoke", url.Values{"token": {tok3.RefreshToken}, "token_type_hint": {"refresh_token"}}, id, secret); st != 200 {
			t.Fatalf("revoke refresh token: %d", st)
		}
		if st, body := e.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok3.RefreshToken}}, id, secret); st != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("revoked refresh token accepted: %d %v", st, body)
		}
		// RFC 7009 2.1: revoking a refresh token also invalidates the access
		// tokens of the same grant.
		if got := e.introspect(id, secret, tok3.AccessToken); got["active"] != false {
			t.Fatalf("access token of a revoked refresh token still active: %v", got)
		}
		// Revoke an access token alone: its refresh token keeps working.
		tok5 := e.ssoToken(r, b)
		if got := e.introspect(id, secret, tok5.AccessToken); got["active"] != true {
			t.Fatalf("fresh access token inactive: %v", got)
		}
		if st, _ := e.postJSON(e.issuer+"/revoke", url.Values{"token": {tok5.AccessToken}, "token_type_hint": {"access_token"}}, id, secret); st != 200 {
			t.Fatalf("revoke access token: %d", st)
		}
		if got := e.introspect(id, secret, tok5.AccessToken); got["active"] != false {
			t.Fatalf("revoked access token active: %v", got)
		}
		if st, body := e.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok5.RefreshToken}}, id, secret); st != 200 {
			t.Fatalf("refresh after revoking only the access token: %d %v", st, body)
		}

		// RP-initiated logout ends the session and revokes its refresh tokens.
		tok4 := e.ssoToken(r, b)
		raw, _ := tok4.Extra("id_token").(string)
		resp, _ := b.get(e.issuer + "/end_session?" + url.Values{
			"id_token_hint": {raw}, "post_logout_redirect_uri": {rpPostLogout}, "state": {"bye"}}.Encode())
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != rpPostLogout+"?state=bye" {
			t.Fatalf("logout redirect: %d %q", resp.StatusCode, loc)
		}
		if st, body := e.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok4.RefreshToken}}, id, secret); st != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("refresh after logout: %d %v", st, body)
		}
		if got := e.introspect(id, secret, tok4.AccessToken); got["active"] != false {
			t.Fatalf("access token active after logout: %v", got)
		}
		if _, err := r.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(tok4)); err == nil {
			t.Fatal("userinfo answered for an ended session")
		}
		// The browser's session is gone: the next authorize shows the login page.
		resp, body := b.get(r.authURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if resp.StatusCode != 200 || !strings.Contains(body, `name="password"`) {
			t.Fatalf("after logout expected the login page, got %d", resp.StatusCode)
		}
	})
}

func (e *env) refresh(r *rp, rt string) *oauth2.Token {
	e.t.Helper()
	tok, err := r.oauth.TokenSource(e.ctx, &oauth2.Token{RefreshToken: rt, Expiry: time.Now().Add(-time.Hour)}).Token()
	if err != nil {
		e.t.Fatalf("refresh: %v", err)
	}
	return tok
}

// ssoToken runs a code flow in a browser that has a session (no password).
func (e *env) ssoToken(r *rp, b *browser) *oauth2.Token {
	e.t.Helper()
	v, ch := pkce()
	resp, _ := b.get(r.authURL("sso", ch))
	q := rpRedirectQuery(resp)
	if q == nil || q.Get("code") == "" {
		e.t.Fatalf("expected SSO redirect with a code, got %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := r.oauth.Exchange(e.ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		e.t.Fatalf("exchange: %v", err)
	}
	return tok
}

func (e *env) introspect(clientID, secret, token string) map[string]any {
	e.t.Helper()
	st, body := e.postJSON(e.issuer+"/oauth/introspect", url.Values{"token": {token}}, clientID, secret)
	if st != 200 {
		e.t.Fatalf("introspect: status %d %v", st, body)
	}
	return body
}

// TestSingleSignOnAcrossApps: a second app in the tenant signs in without a password.
func TestSingleSignOnAcrossApps(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id1, s1 := e.webClient()
		id2, s2 := e.client(e.acme, manage.ClientSpec{Name: "Reports", RedirectURIs: []string{rpRedirect}})
		b := e.browser()
		tok1 := e.rp(id1, s1).signIn(b)
		r2 := e.rp(id2, s2)
		tok2 := e.ssoToken(r2, b)
		_, c1 := e.rp(id1, s1).idToken(tok1)
		_, c2 := r2.idToken(tok2)
		if c1.SID != c2.SID || c1.Sub != c2.Sub || c1.AuthTime != c2.AuthTime {
			t.Fatalf("SSO should share session and auth_time: %+v vs %+v", c1, c2)
		}
	})
}

// TestClientCredentials: machine tokens with client_secret_basic and _post.
func TestClientCredentials(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.client(e.acme, manage.ClientSpec{Name: "Ticket sync", Grants: []string{"client_credentials"}})
		for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
			cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.issuer + "/oauth/token", AuthStyle: style, Scopes: []string{"tickets"}}
			tok, err := cc.Token(e.ctx)
			if err != nil {
				t.Fatalf("client_credentials (style %d): %v", style, err)
			}
			if tok.RefreshToken != "" || tok.Extra("id_token") != nil {
				t.Fatal("client_credentials must issue only an access token")
			}
			got := e.introspect(id, secret, tok.AccessToken)
			if got["active"] != true || got["sub"] != id || got["scope"] != "tickets" {
				t.Fatalf("introspect machine token: %v", got)
			}
			// A machine token is not a user token.
			req, _ := http.NewRequest("GET", e.issuer+"/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			resp, err := e.hs.Client().Do(req)
			if err != nil || resp.StatusCode != 401 {
				t.Fatalf("userinfo with machine token: %v %v", resp.StatusCode, err)
			}
			resp.Body.Close()
		}
		// A code-flow client may not use client_credentials.
		wid, wsec := e.webClient()
		if st, body := e.tokenForm(url.Values{"grant_type": {"client_credentials"}}, wid, wsec); st < 400 || body["error"] == nil {
			t.Fatalf("client_credentials for a web client: %d %v", st, body)
		}
	})
}

// TestPromptAndHints: prompt=none|login, max_age, id_token_hint, login_hint.
func TestPromptAndHints(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)

		// prompt=none without a session: error=login_required at the RP.
		fresh := e.browser()
		_, ch := pkce()
		resp, _ := fresh.get(r.authURL("pn", ch, oauth2.SetAuthURLParam("prompt", "none")))
		if q := rpRedirectQuery(resp); q == nil || q.Get("error") != "login_required" || q.Get("state") != "pn" {
			t.Fatalf("prompt=none without session: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}

		// login_hint pre-fills the email field.
		_, body := fresh.get(r.authURL("lh", ch, oauth2.SetAuthURLParam("login_hint", agentEmail)))
		if !strings.Contains(body, `value="`+agentEmail+`"`) {
			t.Fatal("login_hint not pre-filled")
		}

		b := e.browser()
		tok := r.signIn(b)
		_, c := r.idToken(tok)

		// prompt=none with a session: a code at once.
		_, ch = pkce()
		resp, _ = b.get(r.authURL("pn2", ch, oauth2.SetAuthURLParam("prompt", "none")))
		if q := rpRedirectQuery(resp); q == nil || q.Get("code") == "" {
			t.Fatalf("prompt=none with session: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		// prompt=login and max_age=0 force the password again.
		for _, opt := range []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0")} {
			resp, body := b.get(r.authURL("pl", ch, opt))
			if resp.StatusCode != 200 || !strings.Contains(body, `name="password"`) {
				t.Fatalf("re-authentication not forced: %d", resp.StatusCode)
			}
		}
		// max_age large enough: SSO.
		e.clock.Advance(2 * time.Second)
		resp, _ = b.get(r.authURL("ma", ch, oauth2.SetAuthURLParam("max_age", "3600")))
		if q := rpRedirectQuery(resp); q == nil || q.Get("code") == "" {
			t.Fatalf("max_age=3600 should use SSO: %d", resp.StatusCode)
		}
		// id_token_hint naming the signed-in user: SSO; another user: login page.
		raw, _ := tok.Extra("id_token").(string)
		resp, _ = b.get(r.authURL("h1", ch, oauth2.SetAuthURLParam("id_token_hint", raw), oauth2.SetAuthURLParam("prompt", "none")))
		if q := rpRedirectQuery(resp); q == nil || q.Get("code") == "" {
			t.Fatalf("id_token_hint of the session user with prompt=none: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		bobRaw, _ := e.bobToken(r).Extra("id_token").(string)
		resp, _ = b.get(r.authURL("h2", ch, oauth2.SetAuthURLParam("id_token_hint", bobRaw), oauth2.SetAuthURLParam("prompt", "none")))
		if q := rpRedirectQuery(resp); q == nil || q.Get("error") != "login_required" {
			t.Fatalf("id_token_hint of another user must not SSO: %q", resp.Header.Get("Location"))
		}
		// Unknown parameters are ignored.
		resp, _ = b.get(r.authURL("u", ch, oauth2.SetAuthURLParam("x_custom", "1")))
		if q := rpRedirectQuery(resp); q == nil || q.Get("code") == "" {
			t.Fatalf("unknown parameter broke the flow: %d", resp.StatusCode)
		}
		_ = c
	})
}

// TestLogoutRedirectOnlyRegistered: an unregistered post-logout URI is not
// followed; the user lands on Gatehouse's own signed-out page.
func TestLogoutRedirectOnlyRegistered(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		tok := r.signIn(b)
		raw, _ := tok.Extra("id_token").(string)
		resp, _ := b.get(e.issuer + "/end_session?" + url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {"https://evil.test/"}}.Encode())
		if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, "https://evil.test") {
			t.Fatalf("followed an unregistered post-logout URI: %q", loc)
		}
	})
}

// TestIntrospectionAndUserinfoRequests: client authentication styles and
// failures at introspection; bearer token in header or POST body at userinfo.
func TestIntrospectionAndUserinfoRequests(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		tok := r.signIn(e.browser())
		do := func(method, u string, body url.Values, hdr map[string]string) (int, map[string]any) {
			req, _ := http.NewRequest(method, u, strings.NewReader(body.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			resp, err := e.hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			return resp.StatusCode, decodeJSON(t, resp.Body)
		}
		intro := e.issuer + "/oauth/introspect"
		// client_secret_post works like basic.
		if st, b := do("POST", intro, url.Values{"token": {tok.AccessToken}, "client_id": {id}, "client_secret": {secret}}, nil); st != 200 || b["active"] != true {
			t.Fatalf("introspect with client_secret_post: %d %v", st, b)
		}
		for name, c := range map[string]struct {
			form url.Values
			hdr  map[string]string
		}{
			"no client auth": {url.Values{"token": {tok.AccessToken}}, nil},
			"wrong secret":   {url.Values{"token": {tok.AccessToken}, "client_id": {id}, "client_secret": {"nope"}}, nil},
			"unknown client": {url.Values{"token": {tok.AccessToken}, "client_id": {"nope"}, "client_secret": {"nope"}}, nil},
		} {
			if st, b := do("POST", intro, c.form, c.hdr); st != 401 || b["error"] != "invalid_client" {
				t.Errorf("introspect %s: %d %v", name, st, b)
			}
		}
		// Garbage and empty tokens are simply inactive.
		for _, tk := range []string{"", "garbage", tok.AccessToken + "x"} {
			if got := e.introspect(id, secret, tk); got["active"] != false {
				t.Errorf("introspect %q: %v", tk, got)
			}
		}
		// A refresh token is introspectable by its own client only.
		if got := e.introspect(id, secret, tok.RefreshToken); got["active"] != true || got["token_type"] != "refresh_token" {
			t.Fatalf("introspect own refresh token: %v", got)
		}
		id2, secret2 := e.client(e.acme, manage.ClientSpec{Name: "Other", Grants: []string{"client_credentials"}})
		if got := e.introspect(id2, secret2, tok.RefreshToken); got["active"] != false {
			t.Fatalf("another client saw a refresh token: %v", got)
		}
		// A token of tenant acme is not active at tenant other.
		oid, osecret := e.client(e.other, manage.ClientSpec{Name: "B", Grants: []string{"client_credentials"}})
		st, b := e.postJSON(e.hs.URL+"/t/other/oauth/introspect", url.Values{"token": {tok.AccessToken}}, oid, osecret)
		if st != 200 || b["active"] != false {
			t.Fatalf("tenant other accepted acme's token: %d %v", st, b)
		}
		// Userinfo: token in a POST body; GET without a token is 401.
		if st, b := do("POST", e.issuer+"/userinfo", url.Values{"access_token": {tok.AccessToken}}, nil); st != 200 || b["sub"] == nil {
			t.Fatalf("userinfo with token in body: %d %v", st, b)
		}
		if st, _ := do("GET", e.issuer+"/userinfo", nil, nil); st != 401 {
			t.Fatalf("userinfo without token: %d", st)
		}
	})
}
