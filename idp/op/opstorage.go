package op

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Limits on authorization request parameters (anything longer is refused).
const (
	maxParamLen       = 2048
	maxScopeCount     = 32
	codeChallengeS256 = "S256"
	// touchInterval: session activity is recorded at most this often, which
	// is also the precision of the idle timeout.
	touchInterval      = time.Minute
	minCodeChallengeSz = 43
)

// opStorage is the op.Storage of one tenant. Every store call passes its
// tenant id; nothing here can reach another tenant's rows.
type opStorage struct {
	h      *Handler
	tenant *store.Tenant // ID and Slug are immutable; settings are re-read via h
}

var (
	_ op.Storage                        = (*opStorage)(nil)
	_ op.ClientCredentialsStorage       = (*opStorage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*opStorage)(nil)
	_ op.CanTerminateSessionFromRequest = (*opStorage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*opStorage)(nil)
)

func (s *opStorage) tid() string { return s.tenant.ID }

func (s *opStorage) settings(ctx context.Context) store.TenantSettings {
	if t, err := s.h.Tenants.ByID(ctx, s.tenant.ID); err == nil {
		return t.Settings
	}
	return s.tenant.Settings
}

func (s *opStorage) log(ctx context.Context) *slog.Logger {
	return s.h.Log.With("tenant", s.tenant.Slug)
}

// ---- auth requests ----

func (s *opStorage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, hintUserID string) (op.AuthRequest, error) {
	if err := checkAuthRequestParams(req); err != nil {
		return nil, err
	}
	c, err := s.h.Clients.Get(ctx, s.tid(), req.ClientID)
	if err != nil {
		return nil, oidc.ErrInvalidRequestRedirectURI().WithDescription("unknown client")
	}
	// PKCE: S256 only; required for public clients, honoured for confidential ones.
	switch {
	case req.CodeChallenge == "" && req.CodeChallengeMethod != "":
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method without code_challenge")
	case req.CodeChallenge != "" && req.CodeChallengeMethod != codeChallengeS256:
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	case req.CodeChallenge != "" && (len(req.CodeChallenge) < minCodeChallengeSz || len(req.CodeChallenge) > 128):
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge must be 43 to 128 characters")
	case req.CodeChallenge == "" && c.Public:
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE (code_challenge with S256) is required for public clients")
	}
	if req.ResponseMode != "" && req.ResponseMode != oidc.ResponseModeQuery && req.ResponseMode != oidc.ResponseModeFormPost {
		return nil, oidc.ErrInvalidRequest().WithDescription("response_mode must be query or form_post")
	}
	now := s.h.Clock()
	r := &store.AuthRequest{
		ID:                  store.NewID(),
		TenantID:            s.tid(),
		ClientID:            req.ClientID,
		RedirectURI:         req.RedirectURI,
		Scopes:              req.Scopes,
		State:               req.State,
		Nonce:               req.Nonce,
		ResponseType:        string(req.ResponseType),
		ResponseMode:        string(req.ResponseMode),
		CodeChallenge:       req.CodeChallenge,
		CodeChallengeMethod: string(req.CodeChallengeMethod),
		Prompt:              req.Prompt,
		LoginHint:           req.LoginHint,
		HintUserID:          hintUserID,
		ACRValues:           req.ACRValues,
		CreatedAt:           now,
		ExpiresAt:           now.Add(session.AuthRequestTTL),
	}
	if req.MaxAge != nil {
		v := int64(*req.MaxAge)
		r.MaxAge = &v
	}
	// Bound to the browser that sent /authorize (session.CreateAuthRequest).
	w, hr, ok := httpRequest(ctx)
	if !ok {
		return nil, errors.New("create auth request: no browser to bind it to")
	}
	if err := s.h.Sessions.CreateAuthRequest(w, hr, s.tenant, r); err != nil {
		return nil, fmt.Errorf("create auth request: %w", err)
	}
	return &authRequest{r: r, tenantSlug: s.tenant.Slug}, nil
}

// checkAuthRequestParams refuses oversize values before anything is stored.
func checkAuthRequestParams(req *oidc.AuthRequest) error {
	for name, v := range map[string]string{
		"state": req.State, "nonce": req.Nonce, "login_hint": req.LoginHint,
		"code_challenge": req.CodeChallenge, "client_id": req.ClientID,
	} {
		if len(v) > maxParamLen {
			return oidc.ErrInvalidRequest().WithDescription("%s is too long", name)
		}
	}
	if len(req.Scopes) > maxScopeCount || len(req.ACRValues) > maxScopeCount || len(req.Prompt) > 4 {
		return oidc.ErrInvalidRequest().WithDescription("too many values in scope, acr_values or prompt")
	}
	return nil
}

func (s *opStorage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.h.Store.AuthRequestByID(ctx, s.tid(), id)
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("unknown or expired authorization request").WithParent(err)
	}
	if !s.h.Clock().Before(r.ExpiresAt) {
		return nil, oidc.ErrInvalidRequest().WithDescription("unknown or expired authorization request")
	}
	// zitadel's callback: only the browser that started the request collects
	// its code (session.BoundToBrowser).
	if _, hr, ok := httpRequest(ctx); !ok || !s.h.Sessions.BoundToBrowser(hr, s.tenant, r) {
		return nil, oidc.ErrInvalidRequest().WithDescription("unknown or expired authorization request")
	}
	return &authRequest{r: r, tenantSlug: s.tenant.Slug}, nil
}

func (s *opStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	hash := seal.HashToken(code)
	r, err := s.h.Store.AuthRequestByCode(ctx, s.tid(), hash)
	if err != nil {
		return nil, err
	}
	if r.CodeUsedAt != nil {
		// RFC 6749 4.1.2: a code used twice revokes what it produced.
		s.revokeIssued(ctx, r, "code_reuse")
		return nil, errors.New("authorization code was already used")
	}
	if !s.h.Clock().Before(r.ExpiresAt) {
		return nil, errors.New("authorization code expired")
	}
	return &authRequest{r: r, codeHash: hash, tenantSlug: s.tenant.Slug}, nil
}

func (s *opStorage) SaveAuthCode(ctx context.Context, id, code string) error {
	return s.h.Store.SetAuthCode(ctx, s.tid(), id, seal.HashToken(code))
}

// DeleteAuthRequest is called by zitadel after tokens were issued. The row is
// kept on purpose: a second presentation of the code must find it to revoke
// what the first one produced. The expiry sweeper removes it later.
func (s *opStorage) DeleteAuthRequest(context.Context, string) error { return nil }

// revokeIssued revokes the tokens a reused code produced.
func (s *opStorage) revokeIssued(ctx context.Context, r *store.AuthRequest, reason string) {
	now := s.h.Clock()
	if r.IssuedFamilyID != "" {
		if err := s.h.Store.RevokeRefreshFamily(ctx, s.tid(), r.IssuedFamilyID, now); err != nil {
			s.log(ctx).Error("revoke refresh family after code reuse", "err", err)
		}
	}
	if r.IssuedAccessTokenID != "" {
		exp := now.Add(s.settings(ctx).AccessTokenLifetime())
		if err := s.h.Store.RevokeAccessToken(ctx, s.tid(), r.IssuedAccessTokenID, exp); err != nil {
			s.log(ctx).Error("revoke access token after code reuse", "err", err)
		}
	}
	s.h.Audit.Record(ctx, &store.AuditEvent{TenantID: s.tid(), Type: audit.TokenCodeReused, UserID: r.UserID, ClientID: r.ClientID,
		Detail: map[string]string{"reason": reason}})
}

// consumeCode marks the request's code used and records the tokens it made.
func (s *opStorage) consumeCode(ctx context.Context, a *authRequest, accessID, familyID string) error {
	if a.codeHash == nil {
		return oidc.ErrInvalidGrant().WithDescription("no authorization code")
	}
	r, err := s.h.Store.ConsumeAuthCode(ctx, s.tid(), a.codeHash, accessID, familyID, s.h.Clock())
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		s.revokeIssued(ctx, r, "code_reuse_race")
		return oidc.ErrInvalidGrant().WithDescription("invalid code")
	case errors.Is(err, store.ErrExpired), errors.Is(err, store.ErrNotFound):
		return oidc.ErrInvalidGrant().WithDescription("invalid code")
	case err != nil:
		return fmt.Errorf("consume code: %w", err)
	}
	// The session that produced the code must still be active.
	if r.SessionID != "" {
		sess, err := s.h.Store.SessionByID(ctx, s.tid(), r.SessionID)
		if err != nil || !sess.Active(s.h.Clock()) {
			return oidc.ErrInvalidGrant().WithDescription("the sign-in session has ended")
		}
	}
	return nil
}

// ---- tokens ----

func (s *opStorage) newAccessID(sessionID, familyID string) (string, error) {
	r, err := seal.RandomToken(s.h.Rand, 12)
	if err != nil {
		return "", err
	}
	return accessTokenID(r, sessionID, familyID), nil
}

func (s *opStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	exp := s.h.Clock().Add(s.settings(ctx).AccessTokenLifetime())
	switch r := req.(type) {
	case *authRequest:
		id, err := s.newAccessID(r.r.SessionID, "")
		if err != nil {
			return "", time.Time{}, err
		}
		if err := s.consumeCode(ctx, r, id, ""); err != nil {
			return "", time.Time{}, err
		}
		s.h.Tokens.WithLabelValues("authorization_code").Inc()
		return id, exp, nil
	case *clientCredentialsRequest:
		id, err := s.newAccessID("", "")
		if err != nil {
			return "", time.Time{}, err
		}
		s.h.Tokens.WithLabelValues("client_credentials").Inc()
		return id, exp, nil
	}
	return "", time.Time{}, fmt.Errorf("unexpected token request %T", req)
}

func (s *opStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	now := s.h.Clock()
	set := s.settings(ctx)
	exp := now.Add(set.AccessTokenLifetime())
	refresh, err := seal.RandomToken(s.h.Rand, 32)
	if err != nil {
		return "", "", time.Time{}, err
	}
	switch r := req.(type) {
	case *authRequest:
		family := store.NewID()
		id, err := s.newAccessID(r.r.SessionID, family)
		if err != nil {
			return "", "", time.Time{}, err
		}
		if err := s.consumeCode(ctx, r, id, family); err != nil {
			return "", "", time.Time{}, err
		}
		rt := &store.RefreshToken{
			ID: store.NewID(), TenantID: s.tid(), Hash: seal.HashToken(refresh), FamilyID: family,
			ClientID: r.r.ClientID, UserID: r.r.UserID, SessionID: r.r.SessionID, Scopes: r.r.Scopes,
			AMR: r.r.AMR, ACR: r.r.ACR, AuthTime: r.r.AuthTime, CreatedAt: now, ExpiresAt: now.Add(set.RefreshTokenLifetime()),
		}
		if err := s.h.Store.CreateRefreshToken(ctx, rt); err != nil {
			return "", "", time.Time{}, fmt.Errorf("store refresh token: %w", err)
		}
		s.h.Tokens.WithLabelValues("authorization_code").Inc()
		return id, refresh, exp, nil
	case *refreshRequest:
		old := r.t
		id, err := s.newAccessID(old.SessionID, old.FamilyID)
		if err != nil {
			return "", "", time.Time{}, err
		}
		next := &store.RefreshToken{
			ID: store.NewID(), TenantID: s.tid(), Hash: seal.HashToken(refresh), FamilyID: old.FamilyID,
			ClientID: old.ClientID, UserID: old.UserID, SessionID: old.SessionID, Scopes: old.Scopes,
			AMR: old.AMR, ACR: old.ACR, AuthTime: old.AuthTime, CreatedAt: now, ExpiresAt: old.ExpiresAt,
		}
		err = s.h.Store.RotateRefreshToken(ctx, s.tid(), seal.HashToken(current), next, now)
		switch {
		case errors.Is(err, store.ErrAlreadyUsed):
			s.h.Audit.Record(ctx, &store.AuditEvent{TenantID: s.tid(), Type: audit.TokenRefreshReused, UserID: old.UserID,
				ClientID: old.ClientID, SessionID: old.SessionID, Detail: map[string]string{"family_id": old.FamilyID}})
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token was already used; its family is revoked")
		case errors.Is(err, store.ErrExpired), errors.Is(err, store.ErrNotFound):
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token is expired or revoked")
		case err != nil:
			return "", "", time.Time{}, fmt.Errorf("rotate refresh token: %w", err)
		}
		if r.session != nil && now.Sub(r.session.LastSeenAt) >= touchInterval {
			// A refresh is user activity: it keeps the session from idling
			// out. Recorded at most once per touchInterval, so a busy app
			// does not write the session row on every refresh.
			if err := s.h.Store.TouchSession(ctx, s.tid(), old.SessionID, now, set.SessionIdle()); err != nil && !errors.Is(err, store.ErrExpired) {
				s.log(ctx).Warn("touch session on refresh", "session_id", old.SessionID, "err", err)
			}
		}
		s.h.Tokens.WithLabelValues("refresh_token").Inc()
		return id, refresh, exp, nil
	}
	return "", "", time.Time{}, fmt.Errorf("unexpected token request %T", req)
}

func (s *opStorage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	t, err := s.h.Store.RefreshTokenByHash(ctx, s.tid(), seal.HashToken(token))
	if err != nil {
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid refresh token")
	}
	now := s.h.Clock()
	if t.UsedAt != nil && t.RevokedAt == nil {
		// Reuse of a rotated token: someone holds a copy. Revoke the family.
		if err := s.h.Store.RevokeRefreshFamily(ctx, s.tid(), t.FamilyID, now); err != nil {
			return nil, fmt.Errorf("revoke refresh family: %w", err)
		}
		s.h.Audit.Record(ctx, &store.AuditEvent{TenantID: s.tid(), Type: audit.TokenRefreshReused, UserID: t.UserID,
			ClientID: t.ClientID, SessionID: t.SessionID, Detail: map[string]string{"family_id": t.FamilyID}})
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token was already used; its family is revoked")
	}
	if t.RevokedAt != nil || !now.Before(t.ExpiresAt) {
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token is expired or revoked")
	}
	var sess *store.Session
	if t.SessionID != "" {
		sess, err = s.h.Store.SessionByID(ctx, s.tid(), t.SessionID)
		if err != nil || !sess.Active(now) {
			return nil, oidc.ErrInvalidGrant().WithDescription("the sign-in session has ended")
		}
	}
	return &refreshRequest{t: t, scopes: t.Scopes, session: sess}, nil
}

func (s *opStorage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	hash := seal.HashToken(token)
	t, err := s.h.Store.RefreshTokenByHash(ctx, s.tid(), hash)
	if err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.UserID, refreshIDPrefix + base64.RawURLEncoding.EncodeToString(hash), nil
}

// RevokeToken is never reached: Gatehouse serves the revocation endpoint
// itself (revoke.go), because the token id zitadel would pass here does not
// say which client an access token was issued to (RFC 7009 §2.1). Should
// zitadel's handler ever be routed to again, it fails closed.
func (s *opStorage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrServerError().WithDescription("revocation is served by Gatehouse's own handler")
}

// ---- sessions ----

func (s *opStorage) TerminateSession(ctx context.Context, userID, clientID string) error {
	_, err := s.TerminateSessionFromRequest(ctx, &op.EndSessionRequest{UserID: userID, ClientID: clientID})
	return err
}

// TerminateSessionFromRequest ends the browser's SSO session (from its cookie)
// and the session named by the id_token_hint's sid, if it belongs to the same
// user; their refresh tokens are revoked with them.
func (s *opStorage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	x := web.From(ctx)
	ended := map[string]bool{}
	end := func(sid string) error {
		if sid == "" || ended[sid] {
			return nil
		}
		sess, err := s.h.Store.SessionByID(ctx, s.tid(), sid)
		if err != nil {
			return nil
		}
		if req.UserID != "" && sess.UserID != req.UserID {
			return nil
		}
		ended[sid] = true
		// One event (session.logout, naming the app) and the apps' logout tokens.
		if err := s.h.Sessions.Logout(ctx, s.tenant, sess, req.ClientID); err != nil {
			return err
		}
		return nil
	}
	if x != nil {
		if sid, ok := s.h.Sessions.Cookie(x.R, s.tenant); ok {
			if err := end(sid); err != nil {
				return "", err
			}
		}
		s.h.Sessions.ClearCookie(x.W, s.tenant)
	}
	if req.IDTokenHintClaims != nil {
		if sid, _ := req.IDTokenHintClaims.Claims["sid"].(string); sid != "" {
			if err := end(sid); err != nil {
				return "", err
			}
		}
	}
	return req.RedirectURI, nil
}

// ---- keys ----

func (s *opStorage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	return s.h.Keys.SigningKey(ctx, s.tid())
}

func (s *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256}, nil
}

func (s *opStorage) KeySet(ctx context.Context) ([]op.Key, error) {
	return s.h.Keys.KeySet(ctx, s.tid())
}

// ---- clients ----

func (s *opStorage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	c, err := s.h.Clients.Get(ctx, s.tid(), clientID)
	if err != nil {
		return nil, err
	}
	return s.opClient(ctx, c), nil
}

func (s *opStorage) opClient(ctx context.Context, c *store.Client) *opClient {
	return &opClient{c: c, loginURL: s.loginURL, idTokenLT: s.settings(ctx).IDTokenLifetime()}
}

func (s *opStorage) loginURL(authRequestID string) string {
	return s.h.Issuer(s.tenant.Slug) + "/login?id=" + authRequestID
}

func (s *opStorage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	_, err := s.authenticateClient(ctx, clientID, secret)
	return err
}

func (s *opStorage) authenticateClient(ctx context.Context, clientID, secret string) (*store.Client, error) {
	c, err := s.h.Clients.Get(ctx, s.tid(), clientID)
	if err != nil {
		// Spend the same hash work so unknown ids and wrong secrets look alike.
		seal.EqualHash(seal.HashToken(secret), make([]byte, 32))
		return nil, oidc.ErrInvalidClient().WithDescription("client authentication failed")
	}
	if c.Public || len(c.SecretHash) == 0 || !seal.EqualHash(seal.HashToken(secret), c.SecretHash) {
		return nil, oidc.ErrInvalidClient().WithDescription("client authentication failed")
	}
	return c, nil
}

func (s *opStorage) ClientCredentials(ctx context.Context, clientID, secret string) (op.Client, error) {
	c, err := s.authenticateClient(ctx, clientID, secret)
	if err != nil {
		return nil, err
	}
	if !c.HasGrant(store.GrantClientCredentials) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("client is not allowed the client_credentials grant")
	}
	return s.opClient(ctx, c), nil
}

func (s *opStorage) ClientCredentialsTokenRequest(ctx context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	// Machine tokens carry no OpenID scopes: there is no user. Any other
	// scope must have been granted to the client (store.Client.Scopes):
	// zitadel asks no one before putting it in the token.
	c, err := s.h.Clients.Get(ctx, s.tid(), clientID)
	if err != nil {
		return nil, err
	}
	kept := scopes[:0:0]
	for _, sc := range scopes {
		switch {
		case sc == oidc.ScopeOpenID || sc == oidc.ScopeOfflineAccess || sc == oidc.ScopeProfile || sc == oidc.ScopeEmail:
		case slices.Contains(c.Scopes, sc):
			kept = append(kept, sc)
		default:
			return nil, oidc.ErrInvalidScope().WithDescription("the client may not ask for scope %q", sc)
		}
	}
	return &clientCredentialsRequest{clientID: clientID, scopes: kept}, nil
}

// ---- claims ----

// SetUserinfoFromScopes is deprecated in zitadel/oidc in favour of
// SetUserinfoFromRequest, which does the work.
func (s *opStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's identity claims.
func (s *opStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	u, err := s.h.Users.Get(ctx, s.tid(), req.GetSubject())
	if err != nil {
		return fmt.Errorf("user for id token: %w", err)
	}
	sid := ""
	if sb, ok := req.(sessionBound); ok {
		sid = sb.sessionID()
	}
	s.h.fillUserinfo(info, s.tenant, u, scopes, sid)
	return nil
}

// SetUserinfoFromToken serves zitadel's own userinfo path; Gatehouse mounts
// its scope-aware handler in front of it (endpoints.go), which shares fillUserinfo.
func (s *opStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	ref, ok := parseAccessTokenID(tokenID)
	if !ok || ref.SessionID == "" {
		return errors.New("token is not a user token")
	}
	active, err := s.h.Store.AccessTokenActive(ctx, s.tid(), ref, s.h.Clock())
	if err != nil || !active {
		return errors.New("token is not active")
	}
	u, err := s.h.Store.UserByID(ctx, s.tid(), subject)
	if err != nil {
		return err
	}
	s.h.fillUserinfo(info, s.tenant, u, []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail}, ref.SessionID)
	return nil
}

// SetIntrospectionFromToken serves zitadel's own introspection path;
// Gatehouse's handler (endpoints.go) answers in front of it with the full
// claim set.
func (s *opStorage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	ref, ok := parseAccessTokenID(tokenID)
	if !ok {
		return errors.New("unknown token")
	}
	active, err := s.h.Store.AccessTokenActive(ctx, s.tid(), ref, s.h.Clock())
	if err != nil || !active {
		return errors.New("token is not active")
	}
	resp.Subject = subject
	resp.TokenType = oidc.BearerToken
	return nil
}

func (s *opStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest adds the scope, tenant and session to access
// tokens (zitadel's CreateJWT leaves the scope claim empty; userinfo and
// introspection need it).
func (s *opStorage) GetPrivateClaimsFromRequest(_ context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	claims := map[string]any{"tenant": s.tenant.Slug}
	if sc := req.GetScopes(); len(sc) > 0 {
		claims["scope"] = strings.Join(sc, " ")
	}
	if sb, ok := req.(sessionBound); ok && sb.sessionID() != "" {
		claims["sid"] = sb.sessionID()
	}
	return claims, nil
}

// GetKeyByIDAndClientID is for the JWT-profile grant and private_key_jwt,
// which Gatehouse does not offer: no client has a registered public key.
func (s *opStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, oidc.ErrUnauthorizedClient().WithDescription("JWT-profile client keys are not supported")
}

func (s *opStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnauthorizedClient().WithDescription("the JWT-profile grant is not supported")
}

func (s *opStorage) Health(ctx context.Context) error { return s.h.Store.Ping(ctx) }

// httpRequest is the HTTP request behind a zitadel storage callback.
func httpRequest(ctx context.Context) (http.ResponseWriter, *http.Request, bool) {
	x := web.From(ctx)
	if x == nil || x.R == nil || x.W == nil {
		return nil, nil, false
	}
	return x.W, x.R, true
}
