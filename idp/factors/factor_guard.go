package factors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Counting second-factor attempts: per account (factor failures within
// accountFailureWindow, at most maxAccountFactorFailures) wherever a code is
// typed or a passkey answers, and per login attempt (login_states.attempts,
// maxLoginFactorAttempts) at the sign-in's second-factor step, both in the
// database so every replica sees the same counts. The factor guard reserves
// both before the credential is checked (VerifyThrottled): the attempt is
// recorded as a failure in advance by a statement that refuses at the
// limit, and taken back when the credential was right.

const (
	// maxLoginFactorAttempts: wrong codes one login attempt may try.
	maxLoginFactorAttempts = 5
	// maxAccountFactorFailures within accountFailureWindow locks the second
	// factor of the account (every login attempt) until older failures age out.
	maxAccountFactorFailures = 10
	accountFailureWindow     = 15 * time.Minute
)

// MsgAccountLocked is what a person sees when the account's second factor is locked.
const MsgAccountLocked = "Too many failed attempts on this account. Try again in 15 minutes."

// factorGuard reserves a second-factor attempt of user userID; with
// authRequestID set it also counts the attempt of that login.
type factorGuard struct {
	t             *store.Tenant
	userID        string
	authRequestID string
	at            time.Time // of the reservation, for the refund
}

// FactorGuard is the guard of a second factor of user userID: the account's
// failures, and with authRequestID (a sign-in's second-factor step) that
// login attempt's too. A refusal of the login attempt has Reason
// "exhausted"; of the account, "locked".
func (s *Service) FactorGuard(t *store.Tenant, userID, authRequestID string) Guard {
	return &factorGuard{t: t, userID: userID, authRequestID: authRequestID}
}

func (g *factorGuard) reserve(ctx context.Context, s *Service) error {
	g.at = s.Clock()
	_, err := s.Store.ReserveFactorAttempt(ctx, g.t.ID, g.userID, g.at, g.at.Add(-accountFailureWindow), maxAccountFactorFailures)
	if errors.Is(err, store.ErrAlreadyUsed) {
		return &ThrottledError{Reason: "locked", msg: MsgAccountLocked, retry: accountFailureWindow}
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrThrottleUnavailable, err)
	}
	if g.authRequestID == "" {
		return nil
	}
	if _, err := s.Store.CountLoginAttempt(ctx, g.t.ID, g.authRequestID, maxLoginFactorAttempts); err != nil {
		g.refund(ctx, s) // not checked: the account's place is free again
		if errors.Is(err, store.ErrAlreadyUsed) {
			return &ThrottledError{Reason: "exhausted", msg: "Too many wrong codes for this sign-in. Go back to your application and sign in again."}
		}
		return fmt.Errorf("%w: %w", ErrThrottleUnavailable, err)
	}
	return nil
}

func (g *factorGuard) settle(ctx context.Context, s *Service, ok bool) {
	if ok {
		g.refund(ctx, s)
	}
}

func (g *factorGuard) refund(ctx context.Context, s *Service) {
	if err := s.Store.RefundFactorAttempt(ctx, g.t.ID, g.userID, g.at); err != nil {
		s.Log.Error("mfa: refund attempt", "tenant", g.t.Slug, "err", err)
	}
}
