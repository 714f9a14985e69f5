package idp

import "net/http"

// policyRoutes mounts the access-policy pages (issue 5). Every page is
// behind the tenant's sign-in IP allowlist; s.sensitive marks the account
// actions that change or restore a way in (sensitive.go).
func (s *Server) policyRoutes(mux *routeMux, tp func(string, func(http.ResponseWriter, *http.Request, *tenantProvider)) http.Handler, forms *http.CrossOriginProtection) {
	g := s.gateSignin
	mux.Handle("GET /t/{tenant}/login/forgot", tp("password_forgot", g("password_forgot", s.forgotPage)))
	mux.Handle("POST /t/{tenant}/login/forgot", forms.Handler(tp("password_forgot", g("password_forgot", s.forgotSubmit))))
	mux.Handle("GET /t/{tenant}/login/reset", tp("password_reset", g("password_reset", s.resetPage)))
	mux.Handle("POST /t/{tenant}/login/reset", forms.Handler(tp("password_reset", g("password_reset", s.resetSubmit))))
	mux.Handle("POST /t/{tenant}/login/password-change", forms.Handler(tp("password_expired", g("password_expired", s.expiredChangeSubmit))))
	mux.Handle("GET /t/{tenant}/account/password", tp("account_password", g("account_password", s.accountPasswordPage)))
	mux.Handle("POST /t/{tenant}/account/password", forms.Handler(tp("account_password", g("account_password", s.sensitive(s.accountPasswordSubmit)))))
	mux.Handle("GET /t/{tenant}/account/sessions", tp("account_sessions", g("account_sessions", s.sessionsPage)))
	mux.Handle("POST /t/{tenant}/account/sessions/end", forms.Handler(tp("account_sessions", g("account_sessions", s.sessionEnd))))
	mux.Handle("GET /t/{tenant}/account/devices", tp("account_devices", g("account_devices", s.devicesPage)))
	mux.Handle("POST /t/{tenant}/account/devices", forms.Handler(tp("account_devices", g("account_devices", s.devicesSubmit)))) // block, forget
	mux.Handle("POST /t/{tenant}/account/devices/unblock", forms.Handler(tp("account_devices", g("account_devices", s.sensitive(s.devicesUnblock)))))
	mux.Handle("POST /t/{tenant}/account/sessions/end-others", forms.Handler(tp("account_sessions", g("account_sessions", s.sessionEndOthers))))
}
