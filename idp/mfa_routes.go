package idp

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// mfaRoutes mounts the second-factor pages of sign-in (the account
// security page is idp/account's).
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
}
