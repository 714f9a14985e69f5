package idp

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Handler returns the whole HTTP application.
func (s *Server) Handler() http.Handler {
	mux := newRouteMux() // an http.ServeMux that remembers its patterns (route_table.go)
	m := s.metrics
	tp := func(route string, h func(http.ResponseWriter, *http.Request, *tenantProvider)) http.Handler {
		return m.instrument(route, s.withProvider(h))
	}
	// Browser forms: cross-origin POSTs are refused (Fetch metadata / Origin).
	forms := http.NewCrossOriginProtection()

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", m.Handler())
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(s.pages.Static)))

	// OpenID provider endpoints (zitadel/oidc), per tenant. No method in the
	// pattern where CORS preflights must reach zitadel's CORS handler.
	mux.Handle("GET /t/{tenant}/.well-known/openid-configuration", tp("discovery", s.discovery))
	mux.Handle("GET /t/{tenant}/keys", tp("jwks", s.keysHandler))
	mux.Handle("GET /t/{tenant}/authorize/callback", tp("authorize_callback", s.serveOP))
	mux.Handle("/t/{tenant}/userinfo", tp("userinfo", s.userinfo))
	// OAuth endpoints: every one reads its parameters through
	// parseOAuthParams (oauthparams.go) before anything else looks at the
	// request, the API allowlist included. TestOAuthEndpointsBehindParser
	// enumerates them from discovery.
	oauth := func(route string, kind endpointKind, h func(http.ResponseWriter, *http.Request, *tenantProvider)) http.Handler {
		return tp(route, s.oauthParams(kind, h))
	}
	mux.Handle("/t/{tenant}/authorize", oauth("authorize", kindAuthorize, s.authorize))
	mux.Handle("/t/{tenant}/oauth/token", oauth("token", kindToken, s.gateAPI("token", true, s.serveOP)))
	mux.Handle("/t/{tenant}/oauth/introspect", oauth("introspect", kindIntrospect, s.gateAPI("introspect", false, s.introspect)))
	mux.Handle("/t/{tenant}/revoke", oauth("revoke", kindRevoke, s.revoke))
	mux.Handle("/t/{tenant}/end_session", oauth("end_session", kindEndSession, s.endSessionRequest))
	mux.Handle("POST /t/{tenant}/end_session/confirm", forms.Handler(oauth("end_session", kindEndSession, s.endSessionConfirm)))

	// Pages.
	mux.Handle("GET /t/{tenant}/login", tp("login", s.gateSignin("login", s.loginPage)))
	mux.Handle("POST /t/{tenant}/login", forms.Handler(tp("login", s.gateSignin("login", s.loginSubmit))))
	mux.Handle("GET /t/{tenant}/setup", tp("setup", s.gateSignin("setup", s.setupPage)))
	mux.Handle("POST /t/{tenant}/setup", forms.Handler(tp("setup", s.gateSignin("setup", s.setupSubmit))))
	mux.Handle("GET /t/{tenant}/logged-out", tp("logged_out", s.loggedOut))
	mux.Handle("GET /t/{tenant}/account", tp("account", s.gateSignin("account", s.accountPage)))
	mux.Handle("POST /t/{tenant}/account/logout", forms.Handler(tp("account", s.gateSignin("account", s.accountLogout))))

	// Access policies (issue 5): password reset and change, the sessions page.
	s.policyRoutes(mux, tp, forms)

	// Federation (issue 3): sign in with an upstream connection, prove and
	// link, connected accounts. The callback is a cross-site GET redirect.
	mux.Handle("POST /t/{tenant}/login/federated/{connection_id}/start", forms.Handler(tp("federated_start", s.gateSignin("federated_start", s.fedStart))))
	mux.Handle("GET /t/{tenant}/login/federated/{connection_id}/callback", tp("federated_callback", s.gateSignin("federated_callback", s.fedCallback)))
	mux.Handle("POST /t/{tenant}/login/federated/{connection_id}/link", forms.Handler(tp("federated_link", s.gateSignin("federated_link", s.fedLinkSubmit))))
	mux.Handle("POST /t/{tenant}/login/federated/{connection_id}/link/send", forms.Handler(tp("federated_link", s.gateSignin("federated_link", s.fedLinkSend))))
	mux.Handle("POST /t/{tenant}/login/federated/{connection_id}/link/webauthn/begin", forms.Handler(tp("federated_link", s.gateSignin("federated_link", s.fedLinkWebAuthnBegin))))
	mux.Handle("POST /t/{tenant}/login/federated/{connection_id}/link/webauthn/finish", forms.Handler(tp("federated_link", s.gateSignin("federated_link", s.fedLinkWebAuthnFinish))))
	mux.Handle("GET /t/{tenant}/account/connections", tp("account_connections", s.gateSignin("account_connections", s.accountConnections)))
	mux.Handle("POST /t/{tenant}/account/connections/{connection_id}/connect", forms.Handler(tp("account_connections", s.gateSignin("account_connections", s.sensitive(s.accountConnect)))))
	mux.Handle("POST /t/{tenant}/account/connections/disconnect", forms.Handler(tp("account_connections", s.gateSignin("account_connections", s.sensitive(s.accountDisconnect)))))
	// Second factors (mfa_routes.go): the login step, passkeys, the account
	// security page and, with --dev, the outbox. All are sign-in pages, so
	// they get the tenant's sign-in IP allowlist (ipallow.go).
	s.mfaRoutes(mux, func(route string, h func(http.ResponseWriter, *http.Request, *tenantProvider)) http.Handler {
		return tp(route, s.gateSignin(route, h))
	}, forms)

	s.routePatterns = mux.patterns
	return (&web.Middleware{Proxies: s.proxies, Log: s.log, Dev: s.dev}).Wrap(mux)
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
