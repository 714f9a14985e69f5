package op

import (
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// providerHandler serves a request with the tenant's provider.
type providerHandler func(http.ResponseWriter, *http.Request, *tenantProvider)

// Mount mounts the OpenID provider's endpoints of every tenant.
func (h *Handler) Mount(mux web.Mux) {
	P := h.withProvider

	// zitadel/oidc's endpoints, per tenant. No method in the pattern where
	// CORS preflights must reach zitadel's CORS handler.
	mux.Endpoint("GET /t/{tenant}/.well-known/openid-configuration", "discovery", P(h.discovery))
	mux.Endpoint("GET /t/{tenant}/keys", "jwks", P(h.keysHandler))
	mux.Endpoint("GET /t/{tenant}/authorize/callback", "authorize_callback", P(h.serveOP))
	mux.Endpoint("/t/{tenant}/userinfo", "userinfo", P(h.userinfo))
	// OAuth endpoints: every one reads its parameters through
	// parseOAuthParams (oauthparams.go) before anything else looks at the
	// request, the API allowlist included. TestOAuthEndpointsBehindParser
	// enumerates them from discovery.
	oauth := func(kind endpointKind, fn providerHandler) web.TenantHandler {
		return P(h.oauthParams(kind, fn))
	}
	mux.Endpoint("/t/{tenant}/authorize", "authorize", oauth(kindAuthorize, h.authorize))
	mux.Endpoint("/t/{tenant}/oauth/token", "token", oauth(kindToken, h.gateAPI("token", true, h.serveOP)))
	mux.Endpoint("/t/{tenant}/oauth/introspect", "introspect", oauth(kindIntrospect, h.gateAPI("introspect", false, h.introspect)))
	mux.Endpoint("/t/{tenant}/revoke", "revoke", oauth(kindRevoke, h.revoke))
	mux.Endpoint("/t/{tenant}/end_session", "end_session", oauth(kindEndSession, h.endSessionRequest))
	mux.Form("POST /t/{tenant}/end_session/confirm", "end_session", oauth(kindEndSession, h.endSessionConfirm))
	mux.Endpoint("GET /t/{tenant}/logged-out", "logged_out", h.LoggedOut)
}

// withProvider hands fn the tenant's provider, with the issuer in the
// context for zitadel.
func (h *Handler) withProvider(fn providerHandler) web.TenantHandler {
	return func(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
		p, err := h.provider(t)
		if err != nil {
			h.Pages.Unavailable(w, r, "load tenant", err)
			return
		}
		r = r.WithContext(op.ContextWithIssuer(r.Context(), h.Issuer(t.Slug)))
		fn(w, web.Rebind(w, r), p)
	}
}
