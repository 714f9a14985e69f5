package idp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Counting second-factor attempts: per account (factor_failures within
// accountFailureWindow, maxAccountFactorFailures) wherever a code is typed,
// and per login attempt (login_states.attempts, maxLoginFactorAttempts) at
// /login/2fa, both in the database so every replica sees the same counts.
// factorGuard reserves both before the code is checked (verifyThrottled):
// the attempt is recorded as a failure in advance by a statement that
// refuses at the limit, and taken back when the code was right.

const msgAccountLocked = "Too many failed attempts on this account. Try again in 15 minutes."

// factorGuard reserves a second-factor attempt of user userID; with
// authRequestID set it also counts the attempt of that login.
type factorGuard struct {
	t             *store.Tenant
	userID        string
	authRequestID string
	at            time.Time // of the reservation, for the refund
}

func (g *factorGuard) reserve(ctx context.Context, s *Server) error {
	g.at = s.clock()
	_, err := s.store.ReserveFactorAttempt(ctx, g.t.ID, g.userID, g.at, g.at.Add(-accountFailureWindow), maxAccountFactorFailures)
	if errors.Is(err, store.ErrAlreadyUsed) {
		return &throttledError{reason: "locked", msg: msgAccountLocked, retry: accountFailureWindow}
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errThrottleUnavailable, err)
	}
	if g.authRequestID == "" {
		return nil
	}
	if _, err := s.store.CountLoginAttempt(ctx, g.t.ID, g.authRequestID, maxLoginFactorAttempts); err != nil {
		g.refund(ctx, s) // not checked: the account's place is free again
		if errors.Is(err, store.ErrAlreadyUsed) {
			return &throttledError{reason: "exhausted", msg: "Too many wrong codes for this sign-in. Go back to your application and sign in again."}
		}
		return fmt.Errorf("%w: %w", errThrottleUnavailable, err)
	}
	return nil
}

func (g *factorGuard) settle(ctx context.Context, s *Server, ok bool) {
	if ok {
		g.refund(ctx, s)
	}
}

func (g *factorGuard) refund(ctx context.Context, s *Server) {
	if err := s.store.RefundFactorAttempt(ctx, g.t.ID, g.userID, g.at); err != nil {
		s.log.Error("mfa: refund attempt", "tenant", g.t.Slug, "err", err)
	}
}

// loginFactorGuard is the guard of a code typed in this login's
// second-factor step (challenge or enrolment).
func loginFactorGuard(p *tenantProvider, txn *loginTxn) *factorGuard {
	return &factorGuard{t: p.tenant, userID: txn.u.ID, authRequestID: txn.ar.ID}
}

// factorRefused answers a /login/2fa attempt that verifyThrottled refused
// before any check; it reports false when err is not such a refusal.
func (s *Server) factorRefused(w http.ResponseWriter, r *http.Request, p *tenantProvider, txn *loginTxn, err error) bool {
	ctx := r.Context()
	var te *throttledError
	switch {
	case errors.Is(err, errThrottleUnavailable):
		s.mfaUnavailable(w, r, p, "count attempt", err)
	case !errors.As(err, &te):
		return false
	case te.reason == "exhausted":
		// This login attempt is over: its state goes, the user starts again.
		_ = s.store.DeleteLoginState(ctx, p.tenant.ID, txn.ar.ID)
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFAChallengeExhausted, UserID: txn.u.ID, ClientID: txn.ar.ClientID})
		s.render(w, http.StatusTooManyRequests, "error", &pageData{Title: "Too many attempts", TenantName: p.tenant.Name, Message: te.msg})
	default:
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFAChallengeLocked, UserID: txn.u.ID, ClientID: txn.ar.ClientID})
		s.render(w, http.StatusTooManyRequests, "error", &pageData{Title: "Try again later", TenantName: p.tenant.Name, Message: te.msg})
	}
	return true
}

// factorFailed records a failed attempt in the audit log (the account's
// count already has it: the reservation stays) and tells the user.
func (s *Server) factorFailed(r *http.Request, p *tenantProvider, txn *loginTxn, kind string, err error) {
	ctx := r.Context()
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFAChallengeFailed, UserID: txn.u.ID, ClientID: txn.ar.ClientID,
		Detail: map[string]string{"kind": kind, "reason": factorFailureReason(err)}})
	// The password (or upstream sign-in) was right but the second factor was
	// not: tell the user, once per sign-in attempt (its first failure), so a
	// stolen password does not go unnoticed — and a typo costs one email.
	if txn.st.Step == stepChallenge && txn.st.Attempts == 0 {
		s.mailer.Notify(ctx, p.tenant, txn.u, mailer.SecondFactorFailed, nil)
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
