package login

import (
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The enrolment refusals of the login transaction. Whether a sign-in may
// enrol a first factor is factors.Holdings.MayEnrol: an account that holds
// any verified factor or an unused backup code never enrols at sign-in.

// mayEnrolAtSignIn checks, for a login transaction at the enrolment step,
// that the user still may enrol (a factor may have been added since the
// step was chosen). When not, it records the refusal and answers the
// request (a page, or JSON for a WebAuthn ceremony) and returns false.
func (h *Handler) mayEnrolAtSignIn(w http.ResponseWriter, r *http.Request, t *store.Tenant, u *store.User, clientID string, asJSON bool) bool {
	ctx := r.Context()
	hold, err := h.Factors.Holdings(ctx, t.ID, u.ID, h.Factors.TenantPolicy(ctx, t))
	if err != nil {
		if asJSON {
			web.JSONError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		} else {
			h.Pages.Unavailable(w, r, "enrolment: load factors", err)
		}
		return false
	}
	if hold.MayEnrol() {
		return true
	}
	h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAEnrollRefused, UserID: u.ID, ClientID: clientID,
		Detail: map[string]string{"reason": "has_factors", "path": r.URL.Path}})
	const msg = "Your account already has a second sign-in method, so a new one cannot be set up while signing in. Start signing in again."
	if asJSON {
		web.JSONError(w, http.StatusForbidden, msg)
	} else {
		h.Pages.Error(w, http.StatusForbidden, "Sign-in expired", msg)
	}
	return false
}

// refuseUnusable answers a sign-in whose user holds second factors of
// which none can be used here: no enrolment, a page that names the way
// out, and an audit event an administrator can find.
func (h *Handler) refuseUnusable(w http.ResponseWriter, r *http.Request, t *store.Tenant, u *store.User, clientID string, hold factors.Holdings) {
	kinds := make([]string, 0, len(hold.Verified))
	for _, f := range hold.Verified {
		kinds = append(kinds, f.Kind)
	}
	h.audit(r.Context(), &store.AuditEvent{TenantID: t.ID, Type: audit.MFAUnusable, UserID: u.ID, ClientID: clientID,
		Detail: map[string]string{"kinds": strings.Join(kinds, ",")}})
	h.Pages.Render(w, http.StatusForbidden, "error", &web.Page{Title: "Your second sign-in method is unavailable", TenantName: t.Name,
		Message: "Your account has a second sign-in method, but none of them can be used right now and you have no backup codes left. " +
			"Ask your administrator for help: they can reset your sign-in methods so you can set up a new one."})
}
