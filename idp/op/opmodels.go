package op

import (
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// The zitadel/oidc types stop in this file and opstorage.go: everything else
// in Gatehouse speaks store types.

// opClient adapts store.Client to op.Client.
type opClient struct {
	c         *store.Client
	loginURL  func(authRequestID string) string
	idTokenLT time.Duration
}

func (c *opClient) GetID() string                    { return c.c.ID }
func (c *opClient) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *opClient) PostLogoutRedirectURIs() []string { return c.c.PostLogoutRedirectURIs }
func (c *opClient) ApplicationType() op.ApplicationType {
	switch c.c.AppType {
	case store.AppNative:
		return op.ApplicationTypeNative
	case store.AppSPA:
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

func (c *opClient) AuthMethod() oidc.AuthMethod {
	if c.c.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *opClient) ResponseTypes() []oidc.ResponseType {
	if c.c.HasGrant(store.GrantAuthorizationCode) {
		return []oidc.ResponseType{oidc.ResponseTypeCode}
	}
	return nil
}

func (c *opClient) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, 0, len(c.c.GrantTypes))
	for _, g := range c.c.GrantTypes {
		out = append(out, oidc.GrantType(g))
	}
	return out
}

func (c *opClient) LoginURL(id string) string            { return c.loginURL(id) }
func (c *opClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c *opClient) IDTokenLifetime() time.Duration       { return c.idTokenLT }
func (c *opClient) DevMode() bool                        { return false }
func (c *opClient) IsScopeAllowed(string) bool           { return false }
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *opClient) ClockSkew() time.Duration             { return 0 }
func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// authRequest adapts store.AuthRequest to op.AuthRequest. codeHash is set
// when it was loaded by code, so token creation can consume that code.
type authRequest struct {
	r        *store.AuthRequest
	codeHash []byte
	// roles/tenant for the ID token
	tenantSlug string
}

func (a *authRequest) GetID() string          { return a.r.ID }
func (a *authRequest) GetACR() string         { return a.r.ACR }
func (a *authRequest) GetAMR() []string       { return a.r.AMR }
func (a *authRequest) GetAudience() []string  { return []string{a.r.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.r.AuthTime }
func (a *authRequest) GetClientID() string    { return a.r.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.r.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.r.CodeChallenge, Method: oidc.CodeChallengeMethod(a.r.CodeChallengeMethod)}
}
func (a *authRequest) GetNonce() string       { return a.r.Nonce }
func (a *authRequest) GetRedirectURI() string { return a.r.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType {
	return oidc.ResponseType(a.r.ResponseType)
}
func (a *authRequest) GetResponseMode() oidc.ResponseMode {
	return oidc.ResponseMode(a.r.ResponseMode)
}
func (a *authRequest) GetScopes() []string { return a.r.Scopes }
func (a *authRequest) GetState() string    { return a.r.State }
func (a *authRequest) GetSubject() string  { return a.r.UserID }
func (a *authRequest) Done() bool          { return a.r.Done }

// LogValue keeps state, nonce and code challenge out of logs.
func (a *authRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("auth_request_id", a.r.ID), slog.String("client_id", a.r.ClientID))
}

// sessionID is the SSO session behind the request.
func (a *authRequest) sessionID() string { return a.r.SessionID }

// refreshRequest adapts a stored refresh token to op.RefreshTokenRequest.
type refreshRequest struct {
	t       *store.RefreshToken
	scopes  []string
	session *store.Session // the session as loaded when the token was presented
}

func (r *refreshRequest) GetAMR() []string            { return r.t.AMR }
func (r *refreshRequest) GetAudience() []string       { return []string{r.t.ClientID} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.t.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.t.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.t.UserID }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }
func (r *refreshRequest) sessionID() string           { return r.t.SessionID }

// clientCredentialsRequest is the token request of a machine client.
type clientCredentialsRequest struct {
	clientID string
	scopes   []string
}

func (c *clientCredentialsRequest) GetSubject() string    { return c.clientID }
func (c *clientCredentialsRequest) GetAudience() []string { return []string{c.clientID} }
func (c *clientCredentialsRequest) GetScopes() []string   { return c.scopes }

// sessionBound is implemented by requests that belong to an SSO session.
type sessionBound interface{ sessionID() string }

// Access token ids carry what the token depends on, so one indexed query
// decides whether it is still active: "<random>.<session>.<family>".
// Refresh token ids handed to zitadel are "rt.<row id>".
const refreshIDPrefix = "rt."

func accessTokenID(random, sessionID, familyID string) string {
	return random + "." + sessionID + "." + familyID
}

func parseAccessTokenID(id string) (store.AccessTokenRef, bool) {
	parts := strings.Split(id, ".")
	if len(parts) != 3 || parts[0] == "" {
		return store.AccessTokenRef{}, false
	}
	return store.AccessTokenRef{TokenID: id, SessionID: parts[1], FamilyID: parts[2]}, true
}

// scopesWithout drops the scopes an access token should not repeat.
func hasScope(scopes []string, s string) bool { return slices.Contains(scopes, s) }
