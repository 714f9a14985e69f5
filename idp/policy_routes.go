package idp

import "github.com/gatehouse-idp/gatehouse/idp/web"

// policyRoutes mounts the account's access-policy pages (password reset and
// the expired-password step are idp/login's). Every page is
// behind the tenant's sign-in IP allowlist; s.sensitive marks the account
// actions that change or restore a way in (sensitive.go).
func (s *Server) policyRoutes(mux web.Mux) {
	L := s.legacy
	mux.Page("GET /t/{tenant}/account/password", "account_password", L(s.accountPasswordPage))
	mux.Page("POST /t/{tenant}/account/password", "account_password", L(s.sensitive(s.accountPasswordSubmit)))
	mux.Page("GET /t/{tenant}/account/sessions", "account_sessions", L(s.sessionsPage))
	mux.Page("POST /t/{tenant}/account/sessions/end", "account_sessions", L(s.sessionEnd))
	mux.Page("GET /t/{tenant}/account/devices", "account_devices", L(s.devicesPage))
	mux.Page("POST /t/{tenant}/account/devices", "account_devices", L(s.devicesSubmit)) // block, forget
	mux.Page("POST /t/{tenant}/account/devices/unblock", "account_devices", L(s.sensitive(s.devicesUnblock)))
	mux.Page("POST /t/{tenant}/account/sessions/end-others", "account_sessions", L(s.sessionEndOthers))
}
