package idp

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// mfaRoutes mounts the account's second-factor pages: all are sign-in
// pages. The sign-in's second-factor step and passkeys are idp/login's.
func (s *Server) mfaRoutes(mux web.Mux) {
	post := func(pattern, route string, h func(http.ResponseWriter, *http.Request, *tenantProvider)) {
		mux.Page("POST "+pattern, route, s.legacy(h))
	}
	// The account security page. s.sensitive (sensitive.go) marks what adds,
	// reveals or removes a way in: it demands a fresh local second factor and
	// emails the user once per action. Unwrapped account routes are on the
	// commented allowlist of TestSensitiveRoutesAreGuarded (e2e).
	mux.Page("GET /t/{tenant}/account/security", "account_security", s.legacy(s.securityPage))
	mux.Page("GET /t/{tenant}/account/security/backup-codes.txt", "account_security", s.legacy(s.sensitive(s.securityCodesFile)))
	post("/t/{tenant}/account/security/reauth", "account_security", s.securityReauth)
	post("/t/{tenant}/account/security/enroll", "account_security", s.sensitive(s.securityEnroll))
	post("/t/{tenant}/account/security/verify", "account_security", s.sensitive(s.securityVerify))
	post("/t/{tenant}/account/security/send", "account_security", s.sensitive(s.securitySend))
	post("/t/{tenant}/account/security/factor/{id}/{action}", "account_security", s.sensitive(s.securityFactorAction))
	post("/t/{tenant}/account/security/backup-codes/regenerate", "account_security", s.sensitive(s.securityRegenerate))
	post("/t/{tenant}/account/security/backup-codes/saved", "account_security", s.securityCodesSaved)
	post("/t/{tenant}/account/security/forget-devices", "account_security", s.sensitive(s.securityForgetDevices))
	post("/t/{tenant}/account/security/webauthn/begin", "account_security", s.sensitive(s.securityWebAuthnBegin, replyJSON))
	post("/t/{tenant}/account/security/webauthn/finish", "account_security", s.sensitive(s.securityWebAuthnFinish))

	// Dev only: what the server would have sent.
	if s.dev && s.outbox != nil {
		mux.Handle("GET /dev/outbox", http.HandlerFunc(s.devOutbox))
	}
}
