package idp

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// A password reset by email link proves the mailbox, which is often
// protected by the same password. When the tenant does not allow a reset
// without a second factor (PasswordResetWithoutSecondFactor false, the
// default) and the user has a verified second factor, the reset form must
// also carry a code from the user's authenticator app or one of their backup
// codes. A user whose only factors are ones the form cannot check (passkey,
// SMS, email code) is refused and asked to contact an administrator, who
// can reset the factors (`gatehouse user reset-mfa`); failing open would
// defeat the setting. Wrong codes count against the account like failed
// sign-ins.

var (
	errResetNeedsCode      = errors.New("Enter a code from your authenticator app, or one of your backup codes.")
	errResetCodeWrong      = errors.New("That code is not correct. Enter a current code from your authenticator app, or an unused backup code.")
	errResetNoUsableFactor = errors.New("Your organisation asks for your second factor to reset a password, and this page can only check an authenticator app or a backup code. Ask your administrator to reset your password or your second factors.")
)

// resetSecondFactorRequired reports whether this reset must pass the user's
// second factor.
func (s *Server) resetSecondFactorRequired(ctx context.Context, p *tenantProvider, u *store.User) (bool, error) {
	if s.tenantSettings(ctx, p).PasswordResetWithoutSecondFactor {
		return false, nil
	}
	factors, err := s.store.ListFactors(ctx, p.tenant.ID, u.ID)
	if err != nil {
		return false, err
	}
	for _, f := range factors {
		if f.Verified {
			return true, nil
		}
	}
	return false, nil
}

// checkResetFactor verifies code against the user's authenticator apps,
// then as a backup code. It returns a user-facing error (one of the
// errReset* values) or an internal one.
func (s *Server) checkResetFactor(ctx context.Context, p *tenantProvider, u *store.User, code string) error {
	code = strings.TrimSpace(code)
	factors, err := s.store.ListFactors(ctx, p.tenant.ID, u.ID)
	if err != nil {
		return err
	}
	var totps []*store.Factor
	for _, f := range factors {
		if f.Verified && f.Kind == store.FactorTOTP {
			totps = append(totps, f)
		}
	}
	set, err := s.store.BackupCodeSet(ctx, p.tenant.ID, u.ID)
	hasCodes := err == nil && set.Remaining() > 0
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if len(totps) == 0 && !hasCodes {
		return errResetNoUsableFactor
	}
	if code == "" || len(code) > 64 {
		return errResetNeedsCode
	}
	// Reserved against the sign-in counters (throttle.go): wrong codes here
	// cost the same as wrong passwords at the login form.
	c := &codeCredential{t: p.tenant, u: u, factors: totps, backup: hasCodes, purpose: store.OTPPurposeLogin, code: code}
	err = s.verifyThrottled(ctx, s.accountGuard(ctx, p, u, u.Email), c)
	var te *throttledError
	switch {
	case err == nil:
		method := "totp"
		if c.usedBackup {
			method = "backup_code"
		}
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.PasswordResetSecondFactor, UserID: u.ID, Detail: map[string]string{"method": method}})
		return nil
	case errors.As(err, &te):
		return &resetThrottledError{msg: te.msg}
	case errors.Is(err, errThrottleUnavailable), !userFacing(err):
		return err
	}
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.PasswordResetSecondFactorFailed, UserID: u.ID})
	return errResetCodeWrong
}

// resetFactorProblem is the text to show for a checkResetFactor error, or "".
func resetFactorProblem(err error) (string, int) {
	switch {
	case err == nil:
		return "", 0
	case errors.Is(err, errResetNoUsableFactor):
		return err.Error(), http.StatusForbidden
	case errors.Is(err, errResetNeedsCode), errors.Is(err, errResetCodeWrong):
		return err.Error(), http.StatusBadRequest
	}
	var te *resetThrottledError
	if errors.As(err, &te) {
		return te.msg, http.StatusTooManyRequests
	}
	return "", 0
}

// resetThrottledError: too many wrong codes (or sign-in failures) on the account.
type resetThrottledError struct{ msg string }

func (e *resetThrottledError) Error() string { return e.msg }
