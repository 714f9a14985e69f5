package op

import (
	"context"
	"errors"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// ErrInvalidToken is VerifyAccessToken's answer for a token that is not,
// or no longer, an active access token of the tenant.
var ErrInvalidToken = errors.New("op: invalid access token")

// AccessToken is who an access token speaks for.
type AccessToken struct {
	ClientID string
	UserID   string // "" for a client's own token (client credentials)
	Scopes   []string
}

// VerifyAccessToken checks a bearer access token of tenant t as
// introspection does: the signature with the tenant's keys, expiry and
// issuer, then one query that it, its refresh family and its session were
// not revoked or ended. Only a store failure is another error.
func (h *Handler) VerifyAccessToken(ctx context.Context, t *store.Tenant, token string) (*AccessToken, error) {
	p, err := h.provider(t)
	if err != nil {
		return nil, err
	}
	// zitadel's verifier takes the expected issuer from the context, as on
	// op's own routes.
	claims, err := p.verified.verify(op.ContextWithIssuer(ctx, h.Issuer(t.Slug)), p, token)
	if err != nil {
		return nil, ErrInvalidToken
	}
	ref, ok := parseAccessTokenID(claims.JWTID)
	if !ok {
		return nil, ErrInvalidToken
	}
	active, err := h.Store.AccessTokenActive(ctx, t.ID, ref, h.Clock())
	if err != nil {
		return nil, err
	}
	if !active {
		return nil, ErrInvalidToken
	}
	at := &AccessToken{ClientID: claims.ClientID, Scopes: claims.Scopes}
	if ref.SessionID != "" { // a user's token: it depends on their session
		at.UserID = claims.Subject
	}
	return at, nil
}
