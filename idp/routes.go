package idp

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Handler returns the whole HTTP application.
func (s *Server) Handler() http.Handler {
	mux := newRouter(s)
	L := s.legacy

	mux.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) }))
	mux.Handle("GET /readyz", http.HandlerFunc(s.ready))
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(s.pages.Static)))

	// The OpenID provider: discovery, keys, authorize, token, introspection,
	// userinfo, revocation, end_session and the "Signed out" page (idp/op).
	s.op.Mount(mux)
	// The admin API: the audit log (idp/admin), behind its bearer-token guard.
	s.admin.Mount(mux)

	// Pages.
	// The sign-in transaction (idp/login): /login…, /setup.
	s.login.Mount(mux)
	mux.Page("GET /t/{tenant}/account", "account", L(s.accountPage))
	mux.Page("POST /t/{tenant}/account/logout", "account", L(s.accountLogout))

	// Access policies: password reset and change, the sessions page.
	s.policyRoutes(mux)

	// Connected accounts: the connect's upstream round trip returns
	// through idp/login's federated callback.
	mux.Page("GET /t/{tenant}/account/connections", "account_connections", L(s.accountConnections))
	mux.Page("POST /t/{tenant}/account/connections/{connection_id}/connect", "account_connections", L(s.sensitive(s.accountConnect)))
	mux.Page("POST /t/{tenant}/account/connections/disconnect", "account_connections", L(s.sensitive(s.accountDisconnect)))
	// Second factors (mfa_routes.go): the account security page and, with
	// --dev, the outbox.
	s.mfaRoutes(mux)

	s.routePatterns = mux.patterns
	return (&web.Middleware{Proxies: s.proxies, Log: s.log, Dev: s.dev}).Wrap(mux.mux)
}

// tenantProvider is what the handlers still in this package take: the
// resolved tenant. The tenant's OpenID provider is idp/op's.
type tenantProvider struct {
	tenant *store.Tenant
}

// legacy adapts a handler that still takes a *tenantProvider; it goes as
// the handlers move into idp/login and idp/account.
func (s *Server) legacy(h func(http.ResponseWriter, *http.Request, *tenantProvider)) web.TenantHandler {
	return func(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
		h(w, r, &tenantProvider{tenant: t})
	}
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness: database", "err", err)
		http.Error(w, "database unavailable\n", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// clientIP returns the request's client IP as decided by the middleware.
func (s *Server) clientIP(r *http.Request) string { return web.ClientIP(r) }
