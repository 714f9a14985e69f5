package fedtest

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-idp/gatehouse/federation"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	methods := slices.Clone(p.authMethods)
	f := p.faults
	domains := p.domains
	p.mu.Unlock()

	base, issuer := p.URL, p.Issuer
	var authz, token, jwks, userinfo string
	if p.flavor == FlavorEntra {
		tenant := r.PathValue("tenant")
		switch {
		case tenant == "organizations" || tenant == "common":
			issuer = base + "/{tenantid}/v2.0"
		case isGUID(tenant):
			issuer = base + "/" + tenant + "/v2.0"
		case domains[tenant] != "":
			issuer = base + "/" + domains[tenant] + "/v2.0"
		default:
			writeJSON(w, http.StatusBadRequest, map[string]string{
				"error":             "invalid_tenant",
				"error_description": "AADSTS90002: Tenant '" + tenant + "' not found.",
			})
			return
		}
		authz = base + "/" + tenant + "/oauth2/v2.0/authorize"
		token = base + "/" + tenant + "/oauth2/v2.0/token"
		jwks = base + "/" + tenant + "/discovery/v2.0/keys"
		userinfo = base + "/oidc/userinfo"
	} else {
		if f.DiscoveryIssuer != "" {
			issuer = f.DiscoveryIssuer
		}
		authz, token, jwks, userinfo = base+"/authorize", base+"/token", base+"/jwks", base+"/userinfo"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                authz,
		"token_endpoint":                        token,
		"jwks_uri":                              jwks,
		"userinfo_endpoint":                     userinfo,
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public", "pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": methods,
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name", "hd", "tid", "oid", "xms_edov"},
	})
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	p.lastAuth = q
	f, u, redirect, now := p.faults, p.user, p.redirectURL, p.now()
	p.mu.Unlock()

	// Never redirect to an unregistered URI: answer the browser directly.
	if q.Get("client_id") != p.ClientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	if q.Get("redirect_uri") != redirect {
		http.Error(w, "redirect_uri is not registered", http.StatusBadRequest)
		return
	}
	state := q.Get("state")
	fail := func(code, desc string) {
		v := url.Values{"error": {code}, "state": {state}}
		if desc != "" {
			v.Set("error_description", desc)
		}
		http.Redirect(w, r, redirect+"?"+v.Encode(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "only the code flow is supported")
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		fail("invalid_scope", "openid scope required")
		return
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		fail("invalid_request", "PKCE with S256 is required")
		return
	case f.AuthorizeError != "":
		fail(f.AuthorizeError, f.AuthorizeErrorDescription)
		return
	}
	code := mustRandom()
	p.mu.Lock()
	p.codes[code] = &grant{
		user:        u,
		clientID:    p.ClientID,
		redirectURI: redirect,
		challenge:   q.Get("code_challenge"),
		nonce:       q.Get("nonce"),
		expires:     now.Add(time.Minute),
	}
	p.mu.Unlock()
	v := url.Values{"code": {code}, "state": {state}}
	http.Redirect(w, r, redirect+"?"+v.Encode(), http.StatusFound)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	p.tokenHits.Add(1)
	p.mu.Lock()
	f, methods := p.faults, slices.Clone(p.authMethods)
	p.mu.Unlock()

	if f.TokenDelay > 0 {
		select {
		case <-time.After(f.TokenDelay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case f.TokenStatus != 0:
		http.Error(w, "upstream is having a bad day", f.TokenStatus)
		return
	case f.TokenBody != "":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(f.TokenBody))
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	how, ok := p.clientAuth(r, methods)
	if !ok {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g := p.codes[code]
	delete(p.codes, code) // single use, even when the checks below fail
	now := p.now()
	p.mu.Unlock()
	switch {
	case g == nil:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
		return
	case now.After(g.expires):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "code expired")
		return
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request")
		return
	case subtle.ConstantTimeCompare([]byte(federation.S256Challenge(r.PostForm.Get("code_verifier"))), []byte(g.challenge)) != 1:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		return
	case f.TokenError != "":
		oauthError(w, http.StatusBadRequest, f.TokenError, "the provider refused the code")
		return
	}
	idToken, err := p.idToken(g, f, now)
	if err != nil {
		http.Error(w, "signing failed", http.StatusInternalServerError)
		return
	}
	at := mustRandom()
	p.mu.Lock()
	p.accessTokens[at] = g.user
	p.lastAuthHow = how
	p.mu.Unlock()
	resp := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": 3600, "scope": "openid email profile"}
	if !f.OmitIDToken {
		resp["id_token"] = idToken
	}
	writeJSON(w, http.StatusOK, resp)
}

// clientAuth checks client_secret_basic or client_secret_post, whichever
// is advertised and used.
func (p *Provider) clientAuth(r *http.Request, methods []string) (string, bool) {
	check := func(id, secret string) bool {
		return subtle.ConstantTimeCompare([]byte(id), []byte(p.ClientID)) == 1 &&
			subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) == 1
	}
	if user, pass, ok := r.BasicAuth(); ok {
		if !slices.Contains(methods, "client_secret_basic") {
			return "", false
		}
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		return "client_secret_basic", err1 == nil && err2 == nil && check(id, secret)
	}
	if !slices.Contains(methods, "client_secret_post") {
		return "", false
	}
	return "client_secret_post", check(r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"))
}

func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	u, known := p.accessTokens[at]
	f := p.faults
	p.mu.Unlock()
	if !ok || !known {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	out := map[string]any{"sub": u.Subject}
	if f.UserInfoSubject != "" {
		out["sub"] = f.UserInfoSubject
	}
	if u.Email != "" {
		out["email"] = u.Email
	}
	if u.EmailVerified != nil {
		out["email_verified"] = *u.EmailVerified
	}
	if u.Name != "" {
		out["name"] = u.Name
	}
	writeJSON(w, http.StatusOK, out)
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	p.jwksHits.Add(1)
	p.mu.Lock()
	f := p.faults
	set := jose.JSONWebKeySet{}
	for _, k := range p.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "RS256", Use: "sig"})
	}
	p.mu.Unlock()
	if f.JWKSStatus != 0 {
		http.Error(w, "keys unavailable", f.JWKSStatus)
		return
	}
	writeJSON(w, http.StatusOK, set)
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}
