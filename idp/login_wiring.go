package idp

import (
	"context"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

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

		LoginRequired: s.loginRequired,
		Connected: func(ctx context.Context, t *store.Tenant, u *store.User, connection, email string) {
			s.notifyAction(ctx, t, u, actConnected, connection+accountSuffix(email))
		},
	}
}

// loginRequired answers a prompt=none request that has no usable session
// (OpenID Connect Core 3.1.2.6): error=login_required at the app's
// redirect URI, through the tenant's provider. It is the OP's and moves to
// idp/op with it.
func (s *Server) loginRequired(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest) {
	p, err := s.provider(r.Context(), t.Slug)
	if err != nil {
		s.pages.Unavailable(w, r, "load tenant", err)
		return
	}
	r = r.WithContext(op.ContextWithIssuer(r.Context(), s.tenantURL(t.Slug)))
	op.AuthRequestError(w, r, &authRequest{r: ar}, oidc.ErrLoginRequired().WithDescription("no active session"), p.op)
}
