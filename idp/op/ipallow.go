package op

import (
	"context"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	httphelper "github.com/zitadel/oidc/v3/pkg/http"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// currentTenant is p's tenant as the tenant cache has it now (the
// provider's copy is from when it was built).
func (h *Handler) currentTenant(ctx context.Context, p *tenantProvider) *store.Tenant {
	if t, err := h.Tenants.ByID(ctx, p.tenant.ID); err == nil {
		return t
	}
	return p.tenant
}

// gateAPI wraps a machine endpoint with the tenant's API allowlist.
// onlyClientCredentials limits the check to client_credentials token
// requests (user grants on the same endpoint come from browsers' apps).
// It decides on the parameters parseOAuthParams accepted — the very values
// the handler behind it reads — and refuses a request that did not go
// through the parser rather than guess.
func (h *Handler) gateAPI(route string, onlyClientCredentials bool, next providerHandler) providerHandler {
	return func(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
		params, parsed := parsedParams(r)
		if !parsed {
			h.Log.Error("api allowlist: request without parsed parameters; refusing", "tenant", p.tenant.Slug, "route", route)
			web.OAuthError(w, http.StatusInternalServerError, "server_error", "try again later")
			return
		}
		if onlyClientCredentials && params.Get("grant_type") != string(oidc.GrantTypeClientCredentials) {
			next(w, r, p)
			return
		}
		t := h.currentTenant(r.Context(), p)
		ok, ip := h.Gate.Allowed(r, t, web.ScopeAPI)
		if !ok {
			h.Gate.Refused(r.Context(), t, web.ScopeAPI, ip, route)
			w.Header().Set("Cache-Control", "no-store")
			httphelper.MarshalJSONWithStatus(w, oidc.ErrAccessDenied().WithDescription(
				"client address %s is not on this tenant's API allowlist", ip), http.StatusForbidden)
			return
		}
		next(w, r, p)
	}
}
