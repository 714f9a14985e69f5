package idp

import (
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// The enrolment refusals of the login transaction. Whether a sign-in may
// enrol a first factor is factors.Holdings.MayEnrol: an account that holds
// any verified factor or an unused backup code never enrols at sign-in.

// mayEnrolAtSignIn checks, for a login transaction at the enrolment step,
// that the user still may enrol (a factor may have been added since the
// step was chosen). When not, it records the refusal and answers the
// request (a page, or JSON for a WebAuthn ceremony) and returns false.
func (s *Server) mayEnrolAtSignIn(w http.ResponseWriter, r *http.Request, p *tenantProvider, u *store.User, clientID string, asJSON bool) bool {
	ctx := r.Context()
	h, err := s.factors.Holdings(ctx, p.tenant.ID, u.ID, s.factors.TenantPolicy(ctx, p.tenant))
	if err != nil {
		if asJSON {
			jsonError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		} else {
			s.pages.Unavailable(w, r, "enrolment: load factors", err)
		}
		return false
	}
	if h.MayEnrol() {
		return true
	}
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFAEnrollRefused, UserID: u.ID, ClientID: clientID,
		Detail: map[string]string{"reason": "has_factors", "path": r.URL.Path}})
	const msg = "Your account already has a second sign-in method, so a new one cannot be set up while signing in. Start signing in again."
	if asJSON {
		jsonError(w, http.StatusForbidden, msg)
	} else {
		s.renderError(w, r, http.StatusForbidden, "Sign-in expired", msg)
	}
	return false
}

// refuseUnusable answers a sign-in whose user holds second factors of
// which none can be used here: no enrolment, a page that names the way
// out, and an audit event an administrator can find.
func (s *Server) refuseUnusable(w http.ResponseWriter, r *http.Request, p *tenantProvider, u *store.User, clientID string, h factors.Holdings) {
	kinds := make([]string, 0, len(h.Verified))
	for _, f := range h.Verified {
		kinds = append(kinds, f.Kind)
	}
	s.audit(r.Context(), &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFAUnusable, UserID: u.ID, ClientID: clientID,
		Detail: map[string]string{"kinds": strings.Join(kinds, ",")}})
	s.render(w, http.StatusForbidden, "error", &pageData{Title: "Your second sign-in method is unavailable", TenantName: p.tenant.Name,
		Message: "Your account has a second sign-in method, but none of them can be used right now and you have no backup codes left. " +
			"Ask your administrator for help: they can reset your sign-in methods so you can set up a new one."})
}
