package idp

import (
	"context"
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// What a user holds to prove a second factor with, and the one decision
// that follows from it: whether a sign-in may enrol a first factor.
//
// Issue 8: the second-factor step used to count only factors of kinds the
// tenant still offered and this server could deliver, and offered
// enrolment when none qualified, so a tenant that stopped offering SMS (or
// a replica without an SMS sender) let whoever knew the password register
// their own factor. Now an account that has any verified factor or an
// unused backup code never enrols at sign-in: it verifies with what it has
// and can use here, and when nothing can be used it is refused with a page
// that sends the person to their administrator (`gatehouse user reset-mfa`).

// factorHoldings are a user's second factors.
type factorHoldings struct {
	verified   []*store.Factor // every verified factor, whatever its kind
	usable     []*store.Factor // those this server can verify (mfaPolicy.canVerify), default first
	backupLeft int             // unused backup codes
}

// mayEnrol is THE answer to "may this sign-in enrol a first factor": only
// when the account has no verified factor of any kind and no unused backup
// code. Every enrolment entry of the login transaction reaches it through
// mayEnrolAtSignIn (loadTxn and webauthnStep at stepEnroll) or, when the
// step is chosen, through secondFactorStep.
func (h factorHoldings) mayEnrol() bool { return len(h.verified) == 0 && h.backupLeft == 0 }

// canVerify: the user can pass the challenge step with something they hold.
func (h factorHoldings) canVerify() bool { return len(h.usable) > 0 || h.backupLeft > 0 }

// holdings loads u's factors and backup codes.
func (s *Server) holdings(ctx context.Context, tenantID, userID string, mp mfaPolicy) (factorHoldings, error) {
	var h factorHoldings
	all, err := s.store.ListFactors(ctx, tenantID, userID)
	if err != nil {
		return h, err
	}
	for _, f := range all {
		if f.Verified {
			h.verified = append(h.verified, f)
		}
	}
	if h.usable, err = s.usableFactors(ctx, tenantID, userID, mp); err != nil {
		return h, err
	}
	set, err := s.store.BackupCodeSet(ctx, tenantID, userID)
	switch {
	case err == nil:
		h.backupLeft = set.Remaining()
	case !isNotFound(err):
		return h, err
	}
	return h, nil
}

// mayEnrolAtSignIn checks, for a login transaction at the enrolment step,
// that the user still may enrol (a factor may have been added since the
// step was chosen). When not, it records the refusal and answers the
// request (a page, or JSON for a WebAuthn ceremony) and returns false.
func (s *Server) mayEnrolAtSignIn(w http.ResponseWriter, r *http.Request, p *tenantProvider, u *store.User, clientID string, asJSON bool) bool {
	ctx := r.Context()
	h, err := s.holdings(ctx, p.tenant.ID, u.ID, s.mfaPolicy(s.tenantSettings(ctx, p)))
	if err != nil {
		if asJSON {
			jsonError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		} else {
			s.mfaUnavailable(w, r, p, "enrolment: load factors", err)
		}
		return false
	}
	if h.mayEnrol() {
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
func (s *Server) refuseUnusable(w http.ResponseWriter, r *http.Request, p *tenantProvider, u *store.User, clientID string, h factorHoldings) {
	kinds := make([]string, 0, len(h.verified))
	for _, f := range h.verified {
		kinds = append(kinds, f.Kind)
	}
	s.audit(r.Context(), &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFAUnusable, UserID: u.ID, ClientID: clientID,
		Detail: map[string]string{"kinds": strings.Join(kinds, ",")}})
	s.render(w, http.StatusForbidden, "error", &pageData{Title: "Your second sign-in method is unavailable", TenantName: p.tenant.Name,
		Message: "Your account has a second sign-in method, but none of them can be used right now and you have no backup codes left. " +
			"Ask your administrator for help: they can reset your sign-in methods so you can set up a new one."})
}
