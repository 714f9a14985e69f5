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
