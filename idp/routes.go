package idp

import (
	"context"
	"net/http"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"

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

	// OpenID provider endpoints (zitadel/oidc), per tenant. No method in the
	// pattern where CORS preflights must reach zitadel's CORS handler.
	mux.Endpoint("GET /t/{tenant}/.well-known/openid-configuration", "discovery", L(s.discovery))
	mux.Endpoint("GET /t/{tenant}/keys", "jwks", L(s.keysHandler))
	mux.Endpoint("GET /t/{tenant}/authorize/callback", "authorize_callback", L(s.serveOP))
	mux.Endpoint("/t/{tenant}/userinfo", "userinfo", L(s.userinfo))
	// OAuth endpoints: every one reads its parameters through
	// parseOAuthParams (oauthparams.go) before anything else looks at the
	// request, the API allowlist included. TestOAuthEndpointsBehindParser
	// enumerates them from discovery.
	oauth := func(kind endpointKind, h func(http.ResponseWriter, *http.Request, *tenantProvider)) web.TenantHandler {
		return L(s.oauthParams(kind, h))
	}
	mux.Endpoint("/t/{tenant}/authorize", "authorize", oauth(kindAuthorize, s.authorize))
	mux.Endpoint("/t/{tenant}/oauth/token", "token", oauth(kindToken, s.gateAPI("token", true, s.serveOP)))
	mux.Endpoint("/t/{tenant}/oauth/introspect", "introspect", oauth(kindIntrospect, s.gateAPI("introspect", false, s.introspect)))
	mux.Endpoint("/t/{tenant}/revoke", "revoke", oauth(kindRevoke, s.revoke))
	mux.Endpoint("/t/{tenant}/end_session", "end_session", oauth(kindEndSession, s.endSessionRequest))
	mux.Form("POST /t/{tenant}/end_session/confirm", "end_session", oauth(kindEndSession, s.endSessionConfirm))

	// Pages.
	// The sign-in transaction (idp/login): /login…, /setup.
	s.login.Mount(mux)
	mux.Endpoint("GET /t/{tenant}/logged-out", "logged_out", L(s.loggedOut))
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

// legacy adapts a handler that still takes the tenant's provider; it goes
// as the handlers move into idp/op, idp/login and idp/account.
func (s *Server) legacy(h func(http.ResponseWriter, *http.Request, *tenantProvider)) web.TenantHandler {
	return func(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
		p, err := s.provider(r.Context(), t.Slug)
		if err != nil {
			s.pages.Unavailable(w, r, "load tenant", err)
			return
		}
		r = r.WithContext(op.ContextWithIssuer(r.Context(), s.tenantURL(t.Slug)))
		h(w, web.Rebind(w, r), p)
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
