package idp

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// mfaRoutes mounts the second-factor pages: all are sign-in pages.
func (s *Server) mfaRoutes(mux web.Mux) {
	post := func(pattern, route string, h func(http.ResponseWriter, *http.Request, *tenantProvider)) {
		mux.Page("POST "+pattern, route, s.legacy(h))
	}
	// The login transaction's second-factor step.
	mux.Page("GET /t/{tenant}/login/2fa", "login_2fa", s.legacy(s.mfaPage))
	post("/t/{tenant}/login/2fa", "login_2fa", s.mfaSubmit)
	post("/t/{tenant}/login/2fa/send", "login_2fa", s.mfaSend)
	post("/t/{tenant}/login/2fa/enroll", "login_2fa", s.mfaEnroll)
	post("/t/{tenant}/login/2fa/enroll/verify", "login_2fa", s.mfaEnrollVerify)
	post("/t/{tenant}/login/2fa/codes", "login_2fa", s.mfaCodesDone)
	mux.Page("GET /t/{tenant}/login/2fa/codes.txt", "login_2fa", s.legacy(s.mfaCodesFile))

	// Passkeys: second factor, first-factor registration, passwordless.
	post("/t/{tenant}/login/2fa/webauthn/begin", "login_webauthn", s.webauthnBegin)
	post("/t/{tenant}/login/2fa/webauthn/finish", "login_webauthn", s.webauthnFinish)
	post("/t/{tenant}/login/2fa/webauthn/register/begin", "login_webauthn", s.webauthnRegisterBegin)
	post("/t/{tenant}/login/2fa/webauthn/register/finish", "login_webauthn", s.webauthnRegisterFinish)
	post("/t/{tenant}/login/passkey/begin", "login_passkey", s.passkeyBegin)
	post("/t/{tenant}/login/passkey/finish", "login_passkey", s.passkeyFinish)

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
