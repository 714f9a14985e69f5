package account

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Mount mounts every /t/{tenant}/account route. All are pages people use,
// so the tenant's sign-in IP allowlist applies, and forms get cross-origin
// protection (web.Mux.Page).
//
// h.sensitive (sensitive.go) marks what adds, reveals or removes a way in:
// it demands a fresh local second factor and emails the user once per
// action. Unwrapped state-changing account routes are on the commented
// allowlist of TestSensitiveRoutesAreGuarded (e2e), which walks every
// route mounted here.
func (h *Handler) Mount(mux web.Mux) {
	guard := h.sensitive

	// The tenant's own address leads a person to their account (or sign-in).
	toAccount := func(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
		http.Redirect(w, r, h.TenantURL(t.Slug)+"/account", http.StatusSeeOther)
	}
	mux.Page("GET /t/{tenant}", "tenant_root", toAccount)
	mux.Page("GET /t/{tenant}/{$}", "tenant_root", toAccount)
	mux.Page("GET /t/{tenant}/account", "account", h.accountPage)
	mux.Page("POST /t/{tenant}/account/logout", "account", h.accountLogout)

	// Password, sessions, devices.
	mux.Page("GET /t/{tenant}/account/password", "account_password", h.accountPasswordPage)
	mux.Page("POST /t/{tenant}/account/password", "account_password", guard(h.accountPasswordSubmit))
	mux.Page("GET /t/{tenant}/account/sessions", "account_sessions", h.sessionsPage)
	mux.Page("POST /t/{tenant}/account/sessions/end", "account_sessions", h.sessionEnd)
	mux.Page("POST /t/{tenant}/account/sessions/end-others", "account_sessions", h.sessionEndOthers)
	mux.Page("GET /t/{tenant}/account/devices", "account_devices", h.devicesPage)
	mux.Page("POST /t/{tenant}/account/devices", "account_devices", h.devicesSubmit) // block, forget
	mux.Page("POST /t/{tenant}/account/devices/unblock", "account_devices", guard(h.devicesUnblock))
	mux.Page("GET /t/{tenant}/account/activity", "account_activity", h.activityPage) // read only: the user's own events

	// Connected accounts; a connect finishes on the sign-in side's
	// federated callback (RedirectUpstream, Connected).
	mux.Page("GET /t/{tenant}/account/connections", "account_connections", h.accountConnections)
	mux.Page("POST /t/{tenant}/account/connections/{connection_id}/connect", "account_connections", guard(h.accountConnect))
	mux.Page("POST /t/{tenant}/account/connections/disconnect", "account_connections", guard(h.accountDisconnect))

	// The security page: second factors, backup codes, passkeys.
	mux.Page("GET /t/{tenant}/account/security", "account_security", h.securityPage)
	mux.Page("GET /t/{tenant}/account/security/backup-codes.txt", "account_security", guard(h.securityCodesFile))
	post := func(pattern string, th web.TenantHandler) { mux.Page("POST "+pattern, "account_security", th) }
	post("/t/{tenant}/account/security/reauth", h.securityReauth)
	post("/t/{tenant}/account/security/enroll", guard(h.securityEnroll))
	post("/t/{tenant}/account/security/verify", guard(h.securityVerify))
	post("/t/{tenant}/account/security/send", guard(h.securitySend))
	post("/t/{tenant}/account/security/factor/{id}/{action}", guard(h.securityFactorAction))
	post("/t/{tenant}/account/security/backup-codes/regenerate", guard(h.securityRegenerate))
	post("/t/{tenant}/account/security/backup-codes/saved", h.securityCodesSaved)
	post("/t/{tenant}/account/security/forget-devices", guard(h.securityForgetDevices))
	post("/t/{tenant}/account/security/webauthn/begin", guard(h.securityWebAuthnBegin, replyJSON))
	post("/t/{tenant}/account/security/webauthn/finish", guard(h.securityWebAuthnFinish))
}
