package login

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Sign-in transactions are bound to the browser that started them. The
// auth request id travels in URLs (/login?id=…, /login/2fa?id=…), so it is
// no secret: someone who learns it must not be able to post the password,
// pass or enrol the second factor, finish a passkey or federated sign-in,
// or change an expired password from another browser.
//
// The binding itself — the __Host-gh_login_{tenant} cookie set when a
// request is created, its SHA-256 on the request — is idp/session's
// (CreateAuthRequest, BoundToBrowser). Every step of the transaction loads
// its request through loadPendingRequest, which checks it and fails closed;
// zitadel's callback checks it in the OP's storage adapter.

// loadPendingRequest returns an auth request of the tenant that is still
// waiting for its login and was started by this browser. Every handler of
// the login transaction loads its request here (TestLoginBoundToBrowser).
func (h *Handler) loadPendingRequest(r *http.Request, t *store.Tenant, id string) (*store.AuthRequest, bool) {
	if id == "" || len(id) > 64 {
		return nil, false
	}
	ar, err := h.Store.AuthRequestByID(r.Context(), t.ID, id)
	if err != nil || ar.Done || !h.Clock().Before(ar.ExpiresAt) {
		return nil, false
	}
	if !h.Sessions.BoundToBrowser(r, t, ar) {
		h.audit(r.Context(), &store.AuditEvent{TenantID: t.ID, Type: audit.LoginRequestForeignBrowser, ClientID: ar.ClientID})
		return nil, false
	}
	return ar, true
}
