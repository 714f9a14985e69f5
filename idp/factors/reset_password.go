package factors

import (
	"context"
	"errors"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The second factor of a password reset. A reset by email link proves the
// mailbox, which is often protected by the same password. When the tenant
// does not allow a reset without a second factor
// (PasswordResetWithoutSecondFactor false, the default) and the user has a
// verified second factor, the reset form must also carry a code from the
// user's authenticator app or one of their backup codes. A user whose only
// factors are ones the form cannot check (passkey, SMS, email code) is
// refused and asked to contact an administrator, who can reset the factors
// (`gatehouse user reset-mfa`); failing open would defeat the setting.
// Wrong codes count against the account like failed sign-ins.

// Why the reset form's second factor was refused (besides a *ThrottledError).
const (
	errResetNeedsCode      web.Message = "Enter a code from your authenticator app, or one of your backup codes."
	errResetCodeWrong      web.Message = "That code is not correct. Enter a current code from your authenticator app, or an unused backup code."
	ErrResetNoUsableFactor web.Message = "Your organisation asks for your second factor to reset a password, and this page can only check an authenticator app or a backup code. Ask your administrator to reset your password or your second factors."
)

// ResetNeedsSecondFactor reports whether a password reset of u must pass
// u's second factor.
func (s *Service) ResetNeedsSecondFactor(ctx context.Context, t *store.Tenant, u *store.User) (bool, error) {
	if s.settings(ctx, t).PasswordResetWithoutSecondFactor {
		return false, nil
	}
	factors, err := s.Store.ListFactors(ctx, t.ID, u.ID)
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

// CheckResetFactor verifies code against u's authenticator apps, then as a
// backup code, reserved against the sign-in counters. A refusal to show is
// web.Public: ErrResetNoUsableFactor, a *ThrottledError, or a wrong or
// missing code; any other error is internal.
func (s *Service) CheckResetFactor(ctx context.Context, t *store.Tenant, u *store.User, code string) error {
	code = strings.TrimSpace(code)
	factors, err := s.Store.ListFactors(ctx, t.ID, u.ID)
	if err != nil {
		return err
	}
	var totps []*store.Factor
	for _, f := range factors {
		if f.Verified && f.Kind == store.FactorTOTP {
			totps = append(totps, f)
		}
	}
	set, err := s.Store.BackupCodeSet(ctx, t.ID, u.ID)
	hasCodes := err == nil && set.Remaining() > 0
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if len(totps) == 0 && !hasCodes {
		return ErrResetNoUsableFactor
	}
	if code == "" || len(code) > 64 {
		return errResetNeedsCode
	}
	// Wrong codes here cost the same as wrong passwords at the login form.
	c := &CodeCredential{Tenant: t, User: u, Factors: totps, Backup: hasCodes, Purpose: store.OTPPurposeLogin, Code: code}
	err = s.VerifyThrottled(ctx, s.AccountGuard(ctx, t, u, u.Email), c)
	_, public := web.PublicText(err)
	switch {
	case err == nil:
		method := "totp"
		if c.UsedBackup {
			method = "backup_code"
		}
		s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.PasswordResetSecondFactor, UserID: u.ID, Detail: map[string]string{"method": method}})
		return nil
	case errors.As(err, new(*ThrottledError)):
		return err
	case errors.Is(err, ErrThrottleUnavailable), !public:
		return err
	}
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.PasswordResetSecondFactorFailed, UserID: u.ID})
	return errResetCodeWrong
}
