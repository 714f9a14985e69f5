package op

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// revoke implements RFC 7009 token revocation. Gatehouse answers it itself
// (zitadel's handler cannot tell which client an access token was issued
// to): the caller is authenticated — a confidential client by its secret
// (client_secret_basic or _post), a public client by its client_id alone —
// and a token is revoked only if it was issued to that client (§2.1).
// A token of another client, an unknown or a foreign token is answered 200
// and left alone, so the answer says nothing about it (§2.2). The route
// runs parseOAuthParams first: a form-encoded POST body, one value each.
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	// Public SPAs revoke from the browser: the same CORS rules as the token
	// endpoint (no credentials, so no origin gains anything).
	apiCORS.ServeHTTP(w, r, func(w http.ResponseWriter, r *http.Request) { h.revokeToken(w, r, p) })
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	c, ok := h.revocationClient(r, p)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="gatehouse"`)
		web.OAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		web.OAuthError(w, http.StatusBadRequest, "invalid_request", "token missing")
		return
	}
	if err := h.revokeIssuedTo(r.Context(), p, c.ID, token); err != nil {
		h.Log.Error("revoke", "tenant", p.tenant.Slug, "client_id", c.ID, "err", err)
		web.OAuthError(w, http.StatusInternalServerError, "server_error", "try again later")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// revocationClient authenticates the revoking client. A secret, when one is
// presented (basic or post), must be a confidential client's; without one
// the client_id must name a public client of the tenant.
func (h *Handler) revocationClient(r *http.Request, p *tenantProvider) (*store.Client, bool) {
	if id, secret, ok := clientCredentials(r); ok {
		c, err := p.storage.authenticateClient(r.Context(), id, secret)
		return c, err == nil
	}
	if _, _, basic := r.BasicAuth(); basic || r.PostForm.Has("client_secret") {
		return nil, false
	}
	c, err := h.Clients.Get(r.Context(), p.tenant.ID, r.PostForm.Get("client_id"))
	if err != nil || !c.Public {
		return nil, false
	}
	return c, true
}

// revokeIssuedTo revokes token if it is a refresh token or an access token
// of this tenant issued to clientID: a refresh token takes its whole family
// (and so the family's access tokens) with it, an access token is recorded
// as revoked until it expires. Anything else changes nothing.
func (h *Handler) revokeIssuedTo(ctx context.Context, p *tenantProvider, clientID, token string) error {
	now := h.Clock()
	rt, err := h.Store.RefreshTokenByHash(ctx, p.tenant.ID, seal.HashToken(token))
	switch {
	case err == nil:
		if rt.ClientID != clientID {
			h.refuseRevocation(ctx, p, clientID, "refresh_token")
			return nil
		}
		if err := h.Store.RevokeRefreshFamily(ctx, p.tenant.ID, rt.FamilyID, now); err != nil {
			return err
		}
		h.Audit.Record(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.TokenRevoked, UserID: rt.UserID, ClientID: clientID,
			SessionID: rt.SessionID, Detail: map[string]string{"token_type": "refresh_token"}})
		return nil
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	claims, err := p.verified.verify(ctx, p, token)
	if err != nil {
		return nil // not a live access token of this tenant: nothing to revoke
	}
	ref, ok := parseAccessTokenID(claims.JWTID)
	if !ok || claims.ClientID != clientID {
		h.refuseRevocation(ctx, p, clientID, "access_token")
		return nil
	}
	if err := h.Store.RevokeAccessToken(ctx, p.tenant.ID, ref.TokenID, claims.Expiration.AsTime()); err != nil {
		return err
	}
	userID := claims.Subject
	if ref.SessionID == "" {
		userID = "" // a machine token: the subject is the client
	}
	h.Audit.Record(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.TokenRevoked, UserID: userID, ClientID: clientID,
		SessionID: ref.SessionID, Detail: map[string]string{"token_type": "access_token"}})
	return nil
}

// refuseRevocation records a client's attempt to revoke a token issued to
// another client (the client is answered 200 all the same).
func (h *Handler) refuseRevocation(ctx context.Context, p *tenantProvider, clientID, tokenType string) {
	h.Audit.Record(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.TokenRevocationRefused, ClientID: clientID,
		Detail: map[string]string{"token_type": tokenType, "reason": "issued to another client"}})
}
