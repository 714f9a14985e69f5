package login

import (
	"errors"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Refused and failed attempts at the sign-in's second-factor step. The
// counting itself is the factor guard's (factors.Service.FactorGuard): the
// account's failures and this login attempt's, both reserved before the
// code is checked.

// loginFactorGuard is the guard of a code typed in this login's
// second-factor step (challenge or enrolment).
func (h *Handler) loginFactorGuard(t *store.Tenant, txn *loginTxn) factors.Guard {
	return h.Factors.FactorGuard(t, txn.u.ID, txn.ar.ID)
}

// factorRefused answers a /login/2fa attempt that the guard refused before
// any check; it reports false when err is not such a refusal.
func (h *Handler) factorRefused(w http.ResponseWriter, r *http.Request, t *store.Tenant, txn *loginTxn, err error) bool {
	ctx := r.Context()
	var te *factors.ThrottledError
	switch {
	case errors.Is(err, factors.ErrThrottleUnavailable):
		h.Pages.Unavailable(w, r, "count attempt", err)
	case !errors.As(err, &te):
		return false
	case te.Reason == "exhausted":
		// This login attempt is over: its state goes, the user starts again.
		_ = h.Store.DeleteLoginState(ctx, t.ID, txn.ar.ID)
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAChallengeExhausted, UserID: txn.u.ID, ClientID: txn.ar.ClientID})
		h.Pages.Render(w, http.StatusTooManyRequests, "error", &web.Page{Title: "Too many attempts", TenantName: t.Name, Message: te.Public()})
	default:
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAChallengeLocked, UserID: txn.u.ID, ClientID: txn.ar.ClientID})
		h.Pages.Render(w, http.StatusTooManyRequests, "error", &web.Page{Title: "Try again later", TenantName: t.Name, Message: te.Public()})
	}
	return true
}

// factorFailed records a failed attempt in the audit log (the account's
// count already has it: the reservation stays) and tells the user.
func (h *Handler) factorFailed(r *http.Request, t *store.Tenant, txn *loginTxn, kind string, err error) {
	ctx := r.Context()
	h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAChallengeFailed, UserID: txn.u.ID, ClientID: txn.ar.ClientID,
		Detail: map[string]string{"kind": kind, "reason": factors.FailureReason(err)}})
	// The password (or upstream sign-in) was right but the second factor was
	// not: tell the user, once per sign-in attempt (its first failure), so a
	// stolen password does not go unnoticed — and a typo costs one email.
	if txn.st.Step == stepChallenge && txn.st.Attempts == 0 {
		h.Mailer.Notify(ctx, t, txn.u, mailer.SecondFactorFailed, nil)
	}
}
