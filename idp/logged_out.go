package idp

import "net/http"

// The signed-out page is the OP's (end_session and the account pages' sign-out
// end there); it stays in the root until the OP's handlers move to idp/op.

func (s *Server) loggedOut(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	s.render(w, http.StatusOK, "message", &pageData{Title: "Signed out", TenantName: p.tenant.Name,
		Message: "You have signed out. You can close this window."})
}
