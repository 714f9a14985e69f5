package idp

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Counting second-factor attempts: per login attempt (login_states.attempts,
// maxLoginFactorAttempts) and per account (factor_failures within
// accountFailureWindow, maxAccountFactorFailures), both in the database so
// every replica sees the same counts.

// accountLocked reports whether the user's recent failures lock the second
// factor of every login attempt.
func (s *Server) accountLocked(r *http.Request, tenantID, userID string) (bool, error) {
	n, err := s.store.FactorFailures(r.Context(), tenantID, userID, s.clock().Add(-accountFailureWindow))
	return n >= maxAccountFactorFailures, err
}

const msgAccountLocked = "Too many failed attempts on this account. Try again in 15 minutes."

// countAttempt counts one second-factor attempt of this login; false means
// the login attempt used up its tries (the page was rendered).
func (s *Server) countAttempt(w http.ResponseWriter, r *http.Request, p *tenantProvider, txn *loginTxn) bool {
	ctx := r.Context()
	locked, err := s.accountLocked(r, p.tenant.ID, txn.u.ID)
	if err != nil {
		s.mfaUnavailable(w, r, p, "count failures", err)
		return false
	}
	if locked {
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: "mfa.challenge.locked", UserID: txn.u.ID, ClientID: txn.ar.ClientID})
		s.render(w, http.StatusTooManyRequests, "error", &pageData{Title: "Try again later", TenantName: p.tenant.Name, Message: msgAccountLocked})
		return false
	}
	if _, err := s.store.CountLoginAttempt(ctx, p.tenant.ID, txn.ar.ID, maxLoginFactorAttempts); err != nil {
		if !errors.Is(err, store.ErrAlreadyUsed) {
			s.mfaUnavailable(w, r, p, "count attempt", err)
			return false
		}
		// This login attempt is over: its state goes, the user starts again.
		_ = s.store.DeleteLoginState(ctx, p.tenant.ID, txn.ar.ID)
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: "mfa.challenge.exhausted", UserID: txn.u.ID, ClientID: txn.ar.ClientID})
		s.render(w, http.StatusTooManyRequests, "error", &pageData{Title: "Too many attempts", TenantName: p.tenant.Name,
			Message: "Too many wrong codes for this sign-in. Go back to your application and sign in again."})
		return false
	}
	return true
}

// factorFailed records a failed attempt (per account and in the audit log)
// and re-renders the page with the reason.
func (s *Server) factorFailed(r *http.Request, p *tenantProvider, txn *loginTxn, kind string, err error) {
	ctx := r.Context()
	s.recordFactorFailure(ctx, p.tenant, txn.u.ID)
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: "mfa.challenge.failed", UserID: txn.u.ID, ClientID: txn.ar.ClientID,
		Detail: map[string]string{"kind": kind, "reason": factorFailureReason(err)}})
	// The password (or upstream sign-in) was right but the second factor was
	// not: tell the user, once per sign-in attempt (its first failure), so a
	// stolen password does not go unnoticed — and a typo costs one email.
	if txn.st.Step == stepChallenge && txn.st.Attempts == 0 {
		s.notifyUser(ctx, p.tenant, txn.u, mailSecondFactorFailed, nil)
	}
}

// mailSecondFactorFailed: the first factor passed, the second did not.
const mailSecondFactorFailed = "second_factor_failed"

// recordFactorFailure counts one failed second-factor code against the
// account (accountLocked reads the count), wherever the code was typed.
func (s *Server) recordFactorFailure(ctx context.Context, t *store.Tenant, userID string) {
	now := s.clock()
	if _, err := s.store.RecordFactorFailure(ctx, t.ID, userID, now, now.Add(-accountFailureWindow)); err != nil {
		s.log.Error("login: record factor failure", "tenant", t.Slug, "err", err)
	}
}

// factorFailureReason is the short audit code of a refused code.
func factorFailureReason(err error) string {
	switch {
	case errors.Is(err, errCodeReplayed):
		return "replayed"
	case errors.Is(err, errCodeExpired):
		return "expired"
	case errors.Is(err, errCodeTooMany):
		return "too_many_attempts"
	case errors.Is(err, errCodeNone):
		return "no_code"
	case errors.Is(err, errCodeFormat):
		return "malformed"
	case !userFacing(err):
		return "verification_failed"
	}
	return "wrong_code"
}
