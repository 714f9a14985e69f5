package op

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/tenant"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// authorize checks client_id and redirect_uri itself before zitadel sees the
// request: an unknown client or an unregistered redirect URI gets an error
// page and is never redirected to (RFC 6749 4.1.2.1). The comparison is
// byte-exact; only a native public client may vary the port of a loopback
// http URI (RFC 8252 7.3). The route runs parseOAuthParams first
// (oauthparams.go): r.Form holds one value per parameter, and zitadel reads
// the same values.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	clientID, redirectURI := r.Form.Get("client_id"), r.Form.Get("redirect_uri")
	// refuse answers with a page for the person and a log line for the
	// developer integrating the app; in dev mode the page says what was
	// wrong too (the rejected URI and the registered ones).
	refuse := func(title, msg, reason, devDetail string) {
		h.Log.Info("authorize refused", "tenant", p.tenant.Slug, "client_id", web.Truncate(clientID, 100), "reason", reason,
			"redirect_uri", web.Truncate(redirectURI, 300))
		if h.Dev && devDetail != "" {
			msg += " (dev mode: " + devDetail + ")"
		}
		h.Pages.Error(w, http.StatusBadRequest, title, msg)
	}
	c, err := h.Clients.Get(r.Context(), p.tenant.ID, clientID)
	if err != nil {
		refuse("Unknown application", "The application that sent you here is not registered with this organisation.",
			"unknown_client", fmt.Sprintf("no client %q in tenant %s", web.Truncate(clientID, 100), p.tenant.Slug))
		return
	}
	if !c.HasGrant(store.GrantAuthorizationCode) {
		refuse("Sign-in not allowed", "This application is not allowed to sign users in.",
			"no_authorization_code_grant", "the client lacks the authorization_code grant")
		return
	}
	if !redirectAllowed(c, redirectURI) {
		refuse("Invalid redirect address",
			"The application asked to return you to an address it has not registered. Nothing was sent to it.",
			"redirect_uri_not_registered", fmt.Sprintf("redirect_uri %q is not one of the registered %q",
				web.Truncate(redirectURI, 300), c.RedirectURIs))
		return
	}
	h.serveOP(w, r, p)
}

func safeParamName(k string) string {
	if len(k) > 40 {
		k = k[:40]
	}
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, k)
}

// redirectAllowed is exact matching, plus RFC 8252's loopback port rule for
// native public clients.
func redirectAllowed(c *store.Client, uri string) bool {
	return registeredURI(c, c.RedirectURIs, uri)
}

// registeredURI reports whether uri is one of the client's registered URIs
// (redirect or post-logout): byte-exact, or for a native public client a
// loopback http URI that differs only in port.
func registeredURI(c *store.Client, registered []string, uri string) bool {
	if uri == "" {
		return false
	}
	for _, reg := range registered {
		if uri == reg {
			return true
		}
	}
	if !c.Public || c.AppType != store.AppNative {
		return false
	}
	// RFC 8252 7.3: the port of a loopback http URI may vary; every other
	// byte must match a registered loopback http URI.
	got, err := url.Parse(uri)
	if err != nil || got.Scheme != "http" || !tenant.IsLoopbackHost(got.Hostname()) || got.User != nil || got.Port() == "" && strings.HasSuffix(got.Host, ":") {
		return false
	}
	for _, reg := range registered {
		want, err := url.Parse(reg)
		if err != nil || want.Scheme != "http" || !tenant.IsLoopbackHost(want.Hostname()) || want.Hostname() != got.Hostname() {
			continue
		}
		wantRest, ok1 := strings.CutPrefix(reg, "http://"+want.Host)
		gotRest, ok2 := strings.CutPrefix(uri, "http://"+got.Host)
		if ok1 && ok2 && wantRest == gotRest {
			return true
		}
	}
	return false
}

// introspection is the RFC 7662 response, encoded in one pass.
type introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
	Nbf       int64    `json:"nbf,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Aud       []string `json:"aud,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	Jti       string   `json:"jti,omitempty"`
	Tenant    string   `json:"tenant,omitempty"`
	SID       string   `json:"sid,omitempty"`
}

// clientCredentials reads client_secret_basic (RFC 6749 2.3.1: both parts
// form-urlencoded) or client_secret_post from a parsed request.
func clientCredentials(r *http.Request) (id, secret string, ok bool) {
	if u, p, basic := r.BasicAuth(); basic {
		id, err1 := url.QueryUnescape(u)
		secret, err2 := url.QueryUnescape(p)
		return id, secret, err1 == nil && err2 == nil && id != ""
	}
	id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	return id, secret, id != "" && secret != ""
}

// introspect implements RFC 7662 for access tokens (JWTs this tenant signed)
// and refresh tokens (only to the client they were issued to). The caller
// must authenticate as a confidential client of the tenant.
func (h *Handler) introspect(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		web.OAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST")
		return
	}
	if err := r.ParseForm(); err != nil {
		web.OAuthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return
	}
	ctx := r.Context()
	callerID, secret, ok := clientCredentials(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="gatehouse"`)
		web.OAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication required")
		return
	}
	if _, err := p.storage.authenticateClient(ctx, callerID, secret); err != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="gatehouse"`)
		web.OAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	token := r.PostForm.Get("token")
	now := h.Clock()
	resp := introspection{}
	if token == "" {
		web.JSON(w, http.StatusOK, resp)
		return
	}
	if claims, err := p.verified.verify(ctx, p, token); err == nil {
		if ref, ok := parseAccessTokenID(claims.JWTID); ok {
			active, err := h.Store.AccessTokenActive(ctx, p.tenant.ID, ref, now)
			if err != nil {
				h.Log.Error("introspect: token state", "tenant", p.tenant.Slug, "err", err)
				web.OAuthError(w, http.StatusInternalServerError, "server_error", "try again later")
				return
			}
			if active {
				resp = introspection{Active: true, Scope: strings.Join(claims.Scopes, " "), ClientID: claims.ClientID,
					TokenType: oidc.BearerToken, Exp: int64(claims.Expiration), Iat: int64(claims.IssuedAt),
					Nbf: int64(claims.NotBefore), Sub: claims.Subject, Aud: claims.Audience, Iss: claims.Issuer,
					Jti: claims.JWTID, Tenant: p.tenant.Slug, SID: ref.SessionID}
			}
		}
	} else if t, err := h.Store.RefreshTokenByHash(ctx, p.tenant.ID, seal.HashToken(token)); err == nil &&
		t.ClientID == callerID && t.UsedAt == nil && t.RevokedAt == nil && now.Before(t.ExpiresAt) {
		sess, err := h.Store.SessionByID(ctx, p.tenant.ID, t.SessionID)
		if err == nil && sess.Active(now) {
			resp = introspection{Active: true, Scope: strings.Join(t.Scopes, " "), ClientID: t.ClientID,
				TokenType: "refresh_token", Exp: t.ExpiresAt.Unix(), Iat: t.CreatedAt.Unix(), Sub: t.UserID,
				Iss: h.Issuer(p.tenant.Slug), Tenant: p.tenant.Slug, SID: t.SessionID}
		}
	}
	web.JSON(w, http.StatusOK, resp)
}

// bearerToken reads an access token from the Authorization header, or from
// a form-encoded POST body (RFC 6750 2.1, 2.2).
func bearerToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	if r.Method == http.MethodPost && r.ParseForm() == nil {
		return r.PostForm.Get("access_token")
	}
	return ""
}

// userinfo answers with the identity claims the access token's scopes allow,
// for active user tokens only.
func (h *Handler) userinfo(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	ctx := r.Context()
	fail := func(desc string) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+desc+`"`)
		web.OAuthError(w, http.StatusUnauthorized, "invalid_token", desc)
	}
	token := bearerToken(r)
	if token == "" {
		fail("access token missing")
		return
	}
	claims, err := p.verified.verify(ctx, p, token)
	if err != nil {
		fail("access token invalid")
		return
	}
	ref, ok := parseAccessTokenID(claims.JWTID)
	if !ok || ref.SessionID == "" {
		fail("not a user access token")
		return
	}
	active, err := h.Store.AccessTokenActive(ctx, p.tenant.ID, ref, h.Clock())
	if err != nil {
		h.Log.Error("userinfo: token state", "tenant", p.tenant.Slug, "err", err)
		web.OAuthError(w, http.StatusInternalServerError, "server_error", "try again later")
		return
	}
	if !active {
		fail("access token revoked or session ended")
		return
	}
	u, err := h.Users.Get(ctx, p.tenant.ID, claims.Subject)
	if err != nil || u.Disabled {
		fail("user not found")
		return
	}
	web.JSON(w, http.StatusOK, identityClaims(p.tenant, u, claims.Scopes, ref.SessionID))
}

// identity is the set of user claims shared by ID tokens and userinfo; one
// function decides it, so the two never disagree.
type identity struct {
	Sub               string   `json:"sub"`
	Name              string   `json:"name,omitempty"`
	PreferredUsername string   `json:"preferred_username,omitempty"`
	UpdatedAt         int64    `json:"updated_at,omitempty"`
	Email             string   `json:"email,omitempty"`
	EmailVerified     *bool    `json:"email_verified,omitempty"`
	Tenant            string   `json:"tenant"`
	Roles             []string `json:"roles"`
	SID               string   `json:"sid,omitempty"`
}

func identityClaims(t *store.Tenant, u *store.User, scopes []string, sid string) identity {
	id := identity{Sub: u.ID, Tenant: t.Slug, Roles: []string{u.Role}, SID: sid}
	if hasScope(scopes, oidc.ScopeProfile) {
		id.Name, id.PreferredUsername, id.UpdatedAt = u.Name, u.Email, u.UpdatedAt.Unix()
	}
	if hasScope(scopes, oidc.ScopeEmail) {
		v := u.EmailVerified
		id.Email, id.EmailVerified = u.Email, &v
	}
	return id
}

// fillUserinfo puts the identity claims into zitadel's UserInfo (ID tokens).
func (h *Handler) fillUserinfo(info *oidc.UserInfo, t *store.Tenant, u *store.User, scopes []string, sid string) {
	id := identityClaims(t, u, scopes, sid)
	info.Subject = id.Sub
	info.Name, info.PreferredUsername = id.Name, id.PreferredUsername
	if id.UpdatedAt != 0 {
		info.UpdatedAt = oidc.FromTime(u.UpdatedAt)
	}
	info.Email = id.Email
	if id.EmailVerified != nil {
		info.EmailVerified = oidc.Bool(*id.EmailVerified)
		// zitadel's Bool is omitempty: say "false" explicitly, an RP must
		// not have to guess whether the address was verified.
		info.AppendClaims("email_verified", *id.EmailVerified)
	}
	info.AppendClaims("tenant", id.Tenant)
	info.AppendClaims("roles", id.Roles)
	if id.SID != "" {
		info.AppendClaims("sid", id.SID)
	}
}

// keys serves the JWKS with a cache lifetime shorter than a key's overlap,
// so a relying party always learns a new key before the old one is removed.
func (h *Handler) keysHandler(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	h.serveOP(w, r, p)
}

// discovery serves zitadel's discovery document corrected to what
// Gatehouse actually offers: zitadel lists the implicit and JWT-bearer
// grants, id_token response types and a device endpoint whatever the
// storage supports, and omits client_secret_post at introspection.
func (h *Handler) discovery(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	d := op.CreateDiscoveryConfig(r.Context(), p.op, p.op.Storage())
	d.DeviceAuthorizationEndpoint = ""
	d.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	d.ResponseModesSupported = []string{string(oidc.ResponseModeQuery), string(oidc.ResponseModeFormPost)}
	d.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials}
	d.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodNone, oidc.AuthMethodBasic, oidc.AuthMethodPost}
	d.IntrospectionEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost}
	d.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	d.RevocationEndpointAuthSigningAlgValuesSupported = nil
	d.TokenEndpointAuthSigningAlgValuesSupported = nil
	d.ClaimsSupported = []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash", "c_hash",
		"sid", "tenant", "roles", "name", "preferred_username", "email", "email_verified"}
	d.RequestParameterSupported = false
	d.RequestURIParameterSupported = false
	w.Header().Set("Cache-Control", "public, max-age=300")
	web.CachedJSON(w, d)
}

// LoginRequired answers a prompt=none request that no session can satisfy:
// the app gets error=login_required at its redirect URI, and no page is
// shown (OpenID Connect Core 3.1.2.6). The sign-in transaction calls it.
func (h *Handler) LoginRequired(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest) {
	p, err := h.provider(t)
	if err != nil {
		h.Pages.Unavailable(w, r, "load tenant", err)
		return
	}
	op.AuthRequestError(w, r, &authRequest{r: ar}, oidc.ErrLoginRequired().WithDescription("no active session"), p.op)
}
