package idp

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	httphelper "github.com/zitadel/oidc/v3/pkg/http"

	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// maxFormBytes bounds every form body Gatehouse parses.
const maxFormBytes = 64 << 10

// authorize checks client_id and redirect_uri itself before zitadel sees the
// request: an unknown client or an unregistered redirect URI gets an error
// page and is never redirected to (RFC 6749 4.1.2.1). The comparison is
// byte-exact; only a native public client may vary the port of a loopback
// http URI (RFC 8252 7.3).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The sign-in request could not be read.")
		return
	}
	for k, vs := range r.Form {
		for _, v := range vs {
			if len(v) > maxParamLen {
				s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The sign-in request has a parameter that is too long ("+safeParamName(k)+").")
				return
			}
		}
	}
	clientID, redirectURI := r.Form.Get("client_id"), r.Form.Get("redirect_uri")
	c, err := s.clients.get(r.Context(), p.tenant.ID, clientID)
	if err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Unknown application",
			"The application that sent you here is not registered with this organisation.")
		return
	}
	if !c.HasGrant(store.GrantAuthorizationCode) {
		s.renderError(w, r, http.StatusBadRequest, "Sign-in not allowed",
			"This application is not allowed to sign users in.")
		return
	}
	if !redirectAllowed(c, redirectURI) {
		s.renderError(w, r, http.StatusBadRequest, "Invalid redirect address",
			"The application asked to return you to an address it has not registered. Nothing was sent to it.")
		return
	}
	s.serveOP(w, r, p)
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
	if uri == "" {
		return false
	}
	for _, reg := range c.RedirectURIs {
		if uri == reg {
			return true
		}
	}
	if !c.Public || c.AppType != store.AppNative {
		return false
	}
	got, err := url.Parse(uri)
	if err != nil || got.Scheme != "http" || !isLoopbackHost(got.Hostname()) || got.User != nil || got.Fragment != "" {
		return false
	}
	for _, reg := range c.RedirectURIs {
		want, err := url.Parse(reg)
		if err != nil || want.Scheme != "http" || !isLoopbackHost(want.Hostname()) {
			continue
		}
		if want.Hostname() == got.Hostname() && want.EscapedPath() == got.EscapedPath() && want.RawQuery == got.RawQuery {
			return true
		}
	}
	return false
}

func isLoopbackHost(h string) bool {
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// introspect implements RFC 7662 for access tokens (JWTs this tenant signed)
// and refresh tokens (only to the client they were issued to). The caller
// must authenticate as a confidential client of the tenant.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	token, callerID, err := op.ParseTokenIntrospectionRequest(r, p.op)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="gatehouse"`)
		httphelper.MarshalJSONWithStatus(w, oidc.ErrInvalidClient().WithDescription("client authentication failed"), http.StatusUnauthorized)
		return
	}
	ctx := r.Context()
	now := s.clock()
	resp := new(oidc.IntrospectionResponse)
	if claims, err := op.VerifyAccessToken[*oidc.AccessTokenClaims](ctx, token, p.op.AccessTokenVerifier(ctx)); err == nil {
		ref, ok := parseAccessTokenID(claims.JWTID)
		if ok {
			active, err := s.store.AccessTokenActive(ctx, p.tenant.ID, ref, now)
			if err != nil {
				s.log.Error("introspect: token state", "tenant", p.tenant.Slug, "err", err)
				httphelper.MarshalJSONWithStatus(w, oidc.ErrServerError(), http.StatusInternalServerError)
				return
			}
			if active {
				resp.Active = true
				resp.Scope = claims.Scopes
				resp.ClientID = claims.ClientID
				resp.TokenType = oidc.BearerToken
				resp.Expiration = claims.Expiration
				resp.IssuedAt = claims.IssuedAt
				resp.NotBefore = claims.NotBefore
				resp.Subject = claims.Subject
				resp.Audience = claims.Audience
				resp.Issuer = claims.Issuer
				resp.JWTID = claims.JWTID
				resp.Claims = map[string]any{"tenant": p.tenant.Slug}
				if ref.SessionID != "" {
					resp.Claims["sid"] = ref.SessionID
				}
			}
		}
	} else if t, err := s.store.RefreshTokenByHash(ctx, p.tenant.ID, seal.HashToken(token)); err == nil &&
		t.ClientID == callerID && t.UsedAt == nil && t.RevokedAt == nil && now.Before(t.ExpiresAt) {
		sess, err := s.store.SessionByID(ctx, p.tenant.ID, t.SessionID)
		if err == nil && sess.Active(now) {
			resp.Active = true
			resp.Scope = t.Scopes
			resp.ClientID = t.ClientID
			resp.TokenType = "refresh_token"
			resp.Expiration = oidc.FromTime(t.ExpiresAt)
			resp.IssuedAt = oidc.FromTime(t.CreatedAt)
			resp.Subject = t.UserID
			resp.Issuer = s.tenantURL(p.tenant.Slug)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	httphelper.MarshalJSON(w, resp)
}

// userinfo answers with the identity claims the access token's scopes allow,
// for active user tokens only.
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	ctx := r.Context()
	fail := func(desc string) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+desc+`"`)
		httphelper.MarshalJSONWithStatus(w, oidc.ErrInvalidRequest().WithDescription("%s", desc), http.StatusUnauthorized)
	}
	token, err := op.ParseUserinfoRequest(r, p.op.Decoder())
	if err != nil || token == "" {
		fail("access token missing")
		return
	}
	claims, err := op.VerifyAccessToken[*oidc.AccessTokenClaims](ctx, token, p.op.AccessTokenVerifier(ctx))
	if err != nil {
		fail("access token invalid")
		return
	}
	ref, ok := parseAccessTokenID(claims.JWTID)
	if !ok || ref.SessionID == "" {
		fail("not a user access token")
		return
	}
	active, err := s.store.AccessTokenActive(ctx, p.tenant.ID, ref, s.clock())
	if err != nil {
		s.log.Error("userinfo: token state", "tenant", p.tenant.Slug, "err", err)
		httphelper.MarshalJSONWithStatus(w, oidc.ErrServerError(), http.StatusInternalServerError)
		return
	}
	if !active {
		fail("access token revoked or session ended")
		return
	}
	u, err := s.store.UserByID(ctx, p.tenant.ID, claims.Subject)
	if err != nil || u.Disabled {
		fail("user not found")
		return
	}
	info := new(oidc.UserInfo)
	s.fillUserinfo(info, p.tenant, u, claims.Scopes, ref.SessionID)
	w.Header().Set("Cache-Control", "no-store")
	httphelper.MarshalJSON(w, info)
}

// fillUserinfo sets the identity claims shared by ID tokens and userinfo.
func (s *Server) fillUserinfo(info *oidc.UserInfo, t *store.Tenant, u *store.User, scopes []string, sid string) {
	info.Subject = u.ID
	if hasScope(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
		info.PreferredUsername = u.Email
		info.UpdatedAt = oidc.FromTime(u.UpdatedAt)
	}
	if hasScope(scopes, oidc.ScopeEmail) {
		info.Email = u.Email
		info.EmailVerified = oidc.Bool(u.EmailVerified)
		// zitadel's Bool is omitempty: say "false" explicitly, an RP must
		// not have to guess whether the address was verified.
		info.AppendClaims("email_verified", u.EmailVerified)
	}
	info.AppendClaims("tenant", t.Slug)
	info.AppendClaims("roles", []string{u.Role})
	if sid != "" {
		info.AppendClaims("sid", sid)
	}
}

// keys serves the JWKS with a cache lifetime shorter than a key's overlap,
// so a relying party always learns a new key before the old one is removed.
func (s *Server) keysHandler(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	s.serveOP(w, r, p)
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	s.serveOP(w, r, p)
}
