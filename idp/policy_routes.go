package idp

import "github.com/gatehouse-idp/gatehouse/idp/web"

// policyRoutes mounts the access-policy pages of sign-in. Every page is
// behind the tenant's sign-in IP allowlist. The account's password,
// sessions and devices pages are idp/account's (its Mount).
func (s *Server) policyRoutes(mux web.Mux) {
	L := s.legacy
	mux.Page("GET /t/{tenant}/login/forgot", "password_forgot", L(s.forgotPage))
	mux.Page("POST /t/{tenant}/login/forgot", "password_forgot", L(s.forgotSubmit))
	mux.Page("GET /t/{tenant}/login/reset", "password_reset", L(s.resetPage))
	mux.Page("POST /t/{tenant}/login/reset", "password_reset", L(s.resetSubmit))
	mux.Page("POST /t/{tenant}/login/password-change", "password_expired", L(s.expiredChangeSubmit))
}
