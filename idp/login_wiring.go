package idp

import (
	"context"

	"github.com/gatehouse-idp/gatehouse/idp/login"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// newLogin builds the sign-in transaction's handler (idp/login) on the
// services New built, and wires what its siblings own.
func (s *Server) newLogin(o Options) *login.Handler {
	return &login.Handler{
		Store: o.Store, Clients: s.clients, Sessions: s.sessions, Factors: s.factors, Upstream: s.upstream,
		Mailer: s.mailer, Passwords: s.passwords, Hasher: o.Hasher, Sealer: o.Sealer, Pages: s.pages, Gate: s.gate,
		Audit: s.auditor, Log: s.log, Clock: o.Clock, Rand: o.Rand, Locate: s.locate,
		Logins: s.metrics.logins, Throttled: s.metrics.policy.throttled, TenantURL: s.tenantURL,

		LoginRequired: s.op.LoginRequired, // prompt=none without a usable session
		// A connect finishes on the federated callback; its one email is the
		// account side's (built after this handler, hence the closure).
		Connected: func(ctx context.Context, t *store.Tenant, u *store.User, connection, email string) {
			s.account.Connected(ctx, t, u, connection, email)
		},
	}
}
