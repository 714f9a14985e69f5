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
	// Dev only: what the server would have sent (idp/web's outbox page).
	if s.dev && s.outbox != nil {
		mux.Handle("GET /dev/outbox", s.pages.Outbox(s.outbox))
	}

	// The OpenID provider: discovery, keys, authorize, token, introspection,
	// userinfo, revocation, end_session and the "Signed out" page (idp/op).
	s.op.Mount(mux)
	// The admin API: the audit log (idp/admin), behind its bearer-token guard.
	s.admin.Mount(mux)

	// Pages.
	mux.Page("GET /t/{tenant}/login", "login", L(s.loginPage))
	mux.Page("POST /t/{tenant}/login", "login", L(s.loginSubmit))
	mux.Page("GET /t/{tenant}/setup", "setup", L(s.setupPage))
	mux.Page("POST /t/{tenant}/setup", "setup", L(s.setupSubmit))

	// Access policies: password reset, the expired-password step.
	s.policyRoutes(mux)

	// Federation: sign in with an upstream connection, prove and link. The
	// callback is a cross-site GET redirect (it also finishes an account's
	// connect).
	mux.Page("POST /t/{tenant}/login/federated/{connection_id}/start", "federated_start", L(s.fedStart))
	mux.Page("GET /t/{tenant}/login/federated/{connection_id}/callback", "federated_callback", L(s.fedCallback))
	mux.Page("POST /t/{tenant}/login/federated/{connection_id}/link", "federated_link", L(s.fedLinkSubmit))
	mux.Page("POST /t/{tenant}/login/federated/{connection_id}/link/send", "federated_link", L(s.fedLinkSend))
	mux.Page("POST /t/{tenant}/login/federated/{connection_id}/link/webauthn/begin", "federated_link", L(s.fedLinkWebAuthnBegin))
	mux.Page("POST /t/{tenant}/login/federated/{connection_id}/link/webauthn/finish", "federated_link", L(s.fedLinkWebAuthnFinish))
	// Second factors (mfa_routes.go): the login step and passkeys.
	s.mfaRoutes(mux)

	// The account pages, every /t/{tenant}/account route, each sensitive
	// one behind the guard in idp/account's own table.
	s.account.Mount(mux)

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
