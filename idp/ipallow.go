package idp

import (
	"context"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	httphelper "github.com/zitadel/oidc/v3/pkg/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// refuseIP records an allowlist refusal: metric and security event with the address.
func (s *Server) refuseIP(ctx context.Context, t *store.Tenant, scope, ip, route string) {
	s.metrics.policy.ipRefusals.WithLabelValues(scope).Inc()
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.IPRefused, IP: ip,
		Detail: map[string]string{"scope": scope, "route": route}})
}

// currentTenant is p's tenant as the tenant cache has it now (the
// provider's copy is from when it was built).
func (s *Server) currentTenant(ctx context.Context, p *tenantProvider) *store.Tenant {
	if t, err := s.tenants.ByID(ctx, p.tenant.ID); err == nil {
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
func (s *Server) gateAPI(route string, onlyClientCredentials bool, h func(http.ResponseWriter, *http.Request, *tenantProvider)) func(http.ResponseWriter, *http.Request, *tenantProvider) {
	return func(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
		params, parsed := parsedParams(r)
		if !parsed {
			s.log.Error("api allowlist: request without parsed parameters; refusing", "tenant", p.tenant.Slug, "route", route)
			web.OAuthError(w, http.StatusInternalServerError, "server_error", "try again later")
			return
		}
		if onlyClientCredentials && params.Get("grant_type") != string(oidc.GrantTypeClientCredentials) {
			h(w, r, p)
			return
		}
		t := s.currentTenant(r.Context(), p)
		ok, ip := s.gate.Allowed(r, t, web.ScopeAPI)
		if !ok {
			s.refuseIP(r.Context(), t, web.ScopeAPI, ip, route)
			w.Header().Set("Cache-Control", "no-store")
			httphelper.MarshalJSONWithStatus(w, oidc.ErrAccessDenied().WithDescription(
				"client address %s is not on this tenant's API allowlist", ip), http.StatusForbidden)
			return
		}
		h(w, r, p)
	}
}
