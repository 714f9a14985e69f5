package login

import "github.com/gatehouse-idp/gatehouse/idp/web"

// Mount mounts the sign-in transaction's routes: every one is a sign-in
// page (web.Mux.Page: the tenant's sign-in allowlist, and cross-origin
// protection on POST). The route names are the metrics labels.
func (h *Handler) Mount(mux web.Mux) {
	post := func(pattern, route string, hf web.TenantHandler) { mux.Page("POST "+pattern, route, hf) }

	// The password form, SSO and the first owner's setup link.
	mux.Page("GET /t/{tenant}/login", "login", h.loginPage)
	post("/t/{tenant}/login", "login", h.loginSubmit)
	mux.Page("GET /t/{tenant}/setup", "setup", h.setupPage)
	post("/t/{tenant}/setup", "setup", h.setupSubmit)

	// Password reset by email link, and the expired-password step.
	mux.Page("GET /t/{tenant}/login/forgot", "password_forgot", h.forgotPage)
	post("/t/{tenant}/login/forgot", "password_forgot", h.forgotSubmit)
	mux.Page("GET /t/{tenant}/login/reset", "password_reset", h.resetPage)
	post("/t/{tenant}/login/reset", "password_reset", h.resetSubmit)
	post("/t/{tenant}/login/password-change", "password_expired", h.expiredChangeSubmit)

	// Federation: sign in with an upstream connection, prove and link. The
	// callback is a cross-site GET redirect; it also ends the account
	// page's "connect" round trip (dispatch by the flow's purpose).
	post("/t/{tenant}/login/federated/{connection_id}/start", "federated_start", h.fedStart)
	mux.Page("GET /t/{tenant}/login/federated/{connection_id}/callback", "federated_callback", h.fedCallback)
	post("/t/{tenant}/login/federated/{connection_id}/link", "federated_link", h.fedLinkSubmit)
	post("/t/{tenant}/login/federated/{connection_id}/link/send", "federated_link", h.fedLinkSend)
	post("/t/{tenant}/login/federated/{connection_id}/link/webauthn/begin", "federated_link", h.fedLinkWebAuthnBegin)
	post("/t/{tenant}/login/federated/{connection_id}/link/webauthn/finish", "federated_link", h.fedLinkWebAuthnFinish)

	// The second-factor step: challenge, enrolment, backup codes.
	mux.Page("GET /t/{tenant}/login/2fa", "login_2fa", h.mfaPage)
	post("/t/{tenant}/login/2fa", "login_2fa", h.mfaSubmit)
	post("/t/{tenant}/login/2fa/send", "login_2fa", h.mfaSend)
	post("/t/{tenant}/login/2fa/enroll", "login_2fa", h.mfaEnroll)
	post("/t/{tenant}/login/2fa/enroll/verify", "login_2fa", h.mfaEnrollVerify)
	post("/t/{tenant}/login/2fa/codes", "login_2fa", h.mfaCodesDone)
	mux.Page("GET /t/{tenant}/login/2fa/codes.txt", "login_2fa", h.mfaCodesFile)

	// Passkeys: second factor, first-factor registration, passwordless.
	post("/t/{tenant}/login/2fa/webauthn/begin", "login_webauthn", h.webauthnBegin)
	post("/t/{tenant}/login/2fa/webauthn/finish", "login_webauthn", h.webauthnFinish)
	post("/t/{tenant}/login/2fa/webauthn/register/begin", "login_webauthn", h.webauthnRegisterBegin)
	post("/t/{tenant}/login/2fa/webauthn/register/finish", "login_webauthn", h.webauthnRegisterFinish)
	post("/t/{tenant}/login/passkey/begin", "login_passkey", h.passkeyBegin)
	post("/t/{tenant}/login/passkey/finish", "login_passkey", h.passkeyFinish)
}
