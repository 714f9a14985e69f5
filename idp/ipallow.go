package idp

import (
	"context"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
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
