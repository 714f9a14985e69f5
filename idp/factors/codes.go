package factors

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
	"github.com/gatehouse-idp/gatehouse/mfa/backupcodes"
	"github.com/gatehouse-idp/gatehouse/mfa/otp"
	"github.com/gatehouse-idp/gatehouse/mfa/totp"
)

// Checking and sending codes. Every single-use value is consumed by one
// conditional UPDATE in the store (TOTP step, OTP challenge, backup code),
// so two replicas racing on one code cannot both accept it. The checks
// here run only behind a reservation (VerifyThrottled).

// Why a code was refused, or a code or factor could not be had. Each is
// shown to the person as is; none carries the code.
const (
	ErrCodeWrong      web.Message = "That code is not correct."
	ErrCodeReplayed   web.Message = "That code was already used. Wait for the next one."
	ErrCodeNone       web.Message = "No code was sent yet, or it was replaced by a newer one. Send a new code."
	errCodeExpired    web.Message = "That code has expired. Send a new code."
	errCodeTooMany    web.Message = "Too many wrong codes. Send a new code."
	errCodeFormat     web.Message = "Enter the code as shown."
	errNoSender       web.Message = "Codes cannot be sent right now. Choose another method."
	ErrSendFailed     web.Message = "The code could not be sent. Try again in a moment or choose another method."
	errPhone          web.Message = "Enter a mobile number in international format, for example +49 151 23456789."
	ErrKindNotAllowed web.Message = "That method is not available for your organisation."
)

// rateLimitedError is a send refused by the per-user or per-destination limits.
type rateLimitedError struct{ retry time.Duration }

func (e *rateLimitedError) Error() string { return e.Public() }

func (e *rateLimitedError) Public() string {
	secs := int(e.retry.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	if secs <= 120 {
		return "A code was sent a moment ago. You can ask for a new one in " + strconv.Itoa(secs) + " seconds."
	}
	return "Too many codes were sent. Try again later or choose another method."
}

// FailureReason is the short audit code of a refused code.
func FailureReason(err error) string {
	switch {
	case errors.Is(err, ErrCodeReplayed):
		return "replayed"
	case errors.Is(err, errCodeExpired):
		return "expired"
	case errors.Is(err, errCodeTooMany):
		return "too_many_attempts"
	case errors.Is(err, ErrCodeNone):
		return "no_code"
	case errors.Is(err, errCodeFormat):
		return "malformed"
	}
	if _, public := web.PublicText(err); !public {
		return "verification_failed"
	}
	return "wrong_code"
}

func totpLabel(f *store.Factor) string { return f.TenantID + "/" + f.ID }

// openTOTPSecret unseals a factor's TOTP secret.
func (s *Service) openTOTPSecret(f *store.Factor) ([]byte, error) {
	return s.Sealer.Open(seal.PurposeFactorSecret, totpLabel(f), f.SecretSealed)
}

// TOTPKey is the key of u's authenticator-app factor f as an enrolment
// page shows it (QR code, secret text).
func (s *Service) TOTPKey(t *store.Tenant, u *store.User, f *store.Factor) (*totp.Key, error) {
	raw, err := s.openTOTPSecret(f)
	if err != nil {
		return nil, err
	}
	return totp.NewKey(t.Name, u.Email, raw)
}

// checkTOTP verifies an authenticator-app code and advances the factor's
// last step, so the same code (or an older one) never works again.
func (s *Service) checkTOTP(ctx context.Context, f *store.Factor, code string) error {
	secret, err := s.openTOTPSecret(f)
	if err != nil {
		return fmt.Errorf("open totp secret: %w", err)
	}
	now := s.Clock()
	step, err := totp.Verify(secret, code, now, f.LastStep)
	switch {
	case errors.Is(err, totp.ErrMalformed):
		return errCodeFormat
	case errors.Is(err, totp.ErrReplayed):
		return ErrCodeReplayed
	case errors.Is(err, totp.ErrInvalidCode):
		return ErrCodeWrong
	case err != nil:
		return err
	}
	if err := s.Store.AdvanceTOTPStep(ctx, f.TenantID, f.ID, step, now); err != nil {
		if errors.Is(err, store.ErrAlreadyUsed) {
			return ErrCodeReplayed // another replica accepted this step first
		}
		return err
	}
	return nil
}

// checkSentCode verifies a code sent by SMS or email for (purpose, binding):
// the attempt is counted before the comparison, and the challenge consumed
// once on success.
func (s *Service) checkSentCode(ctx context.Context, f *store.Factor, purpose, binding, input string) error {
	code, err := otp.NormalizeCode(input)
	if err != nil {
		return errCodeFormat
	}
	c, err := s.Store.LatestOTPChallenge(ctx, f.TenantID, f.ID, purpose, binding)
	if errors.Is(err, store.ErrNotFound) {
		return ErrCodeNone
	}
	if err != nil {
		return err
	}
	now := s.Clock()
	before, err := s.Store.CountOTPAttempt(ctx, f.TenantID, c.ID, s.Rules.MaxAttempts)
	if errors.Is(err, store.ErrAlreadyUsed) {
		return errCodeTooMany
	}
	if err != nil {
		return err
	}
	switch err := s.Rules.Verify(s.CodeKey, c.CodeHash, code, before, c.CreatedAt, now); {
	case errors.Is(err, otp.ErrExpired):
		return errCodeExpired
	case errors.Is(err, otp.ErrTooManyAttempts):
		return errCodeTooMany
	case errors.Is(err, otp.ErrInvalidCode):
		return ErrCodeWrong
	case err != nil:
		return err
	}
	if err := s.Store.ConsumeOTPChallenge(ctx, f.TenantID, c.ID, now); err != nil {
		if errors.Is(err, store.ErrAlreadyUsed) {
			return ErrCodeNone
		}
		return err
	}
	return nil
}

// SendCode creates a challenge for (purpose, binding) and sends its code to
// the factor's destination, within the per-user and per-destination limits.
// A refusal the person can act on is web.Public.
func (s *Service) SendCode(ctx context.Context, t *store.Tenant, u *store.User, f *store.Factor, purpose, binding string) error {
	set := s.settings(ctx, t)
	var sms notify.SMSSender
	switch f.Kind {
	case store.FactorSMS:
		if sms = s.smsSender(set); sms == nil {
			return errNoSender
		}
	case store.FactorEmail:
		if s.SendEmail == nil {
			return errNoSender
		}
	default:
		return fmt.Errorf("send code: factor kind %q has no sent codes", f.Kind)
	}
	now := s.Clock()
	window := max(s.Rules.PerUser.Window, s.Rules.PerDestination.Window, s.Rules.ResendCooldown)
	userSends, destSends, err := s.Store.OTPSends(ctx, t.ID, u.ID, f.Destination, now.Add(-window))
	if err != nil {
		return err
	}
	if ok, retry, _ := s.Rules.CanSend(userSends, destSends, now); !ok {
		s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFACodeLimited, UserID: u.ID,
			Detail: map[string]string{"factor_id": f.ID, "kind": f.Kind}})
		return &rateLimitedError{retry: retry}
	}
	code, err := otp.NewCode(s.Rand)
	if err != nil {
		return err
	}
	c := &store.OTPChallenge{ID: store.NewID(), TenantID: t.ID, UserID: u.ID, FactorID: f.ID, Purpose: purpose, Binding: binding,
		Destination: f.Destination, CodeHash: otp.Hash(s.CodeKey, code), CreatedAt: now, ExpiresAt: s.Rules.ExpiresAt(now)}
	if err := s.Store.CreateOTPChallenge(ctx, c); err != nil {
		return err
	}
	minutes := int(s.Rules.TTL / time.Minute)
	if f.Kind == store.FactorSMS {
		body := fmt.Sprintf("%s: your sign-in code is %s. It expires in %d minutes. Never share it.", set.Sender(t.Name), code, minutes)
		err = sms.SendSMS(ctx, notify.SMS{To: f.Destination, Body: body})
	} else {
		err = s.SendEmail(ctx, t, f.Destination, mailCode, map[string]any{"Code": code, "Minutes": minutes, "Enroll": purpose == store.OTPPurposeEnroll})
	}
	if err != nil {
		s.Log.Error("mfa: send code", "tenant", t.Slug, "user_id", u.ID, "kind", f.Kind, "err", err)
		return ErrSendFailed
	}
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFACodeSent, UserID: u.ID,
		Detail: map[string]string{"factor_id": f.ID, "kind": f.Kind, "purpose": purpose}})
	return nil
}

// checkFactorCode checks a typed code against factor f of user u: TOTP
// advances the factor's last step; SMS and email codes are those sent for
// (purpose, binding). A login code needs a verified factor, an enrolment
// code the unverified one being enrolled. It is the one code check of the
// login step, the enrolment, the federation proof and the reset form, and
// runs only behind a reservation (CodeCredential).
func (s *Service) checkFactorCode(ctx context.Context, t *store.Tenant, u *store.User, f *store.Factor, purpose, binding, code string) error {
	if f.TenantID != t.ID || f.UserID != u.ID || f.Verified != (purpose == store.OTPPurposeLogin) {
		return fmt.Errorf("check factor code: factor not usable for this user: %w", store.ErrNotFound)
	}
	switch f.Kind {
	case store.FactorTOTP:
		return s.checkTOTP(ctx, f, code)
	case store.FactorSMS, store.FactorEmail:
		return s.checkSentCode(ctx, f, purpose, binding, code)
	}
	return fmt.Errorf("check factor code: factor kind %q has no typed codes", f.Kind)
}

// useBackupCode redeems one backup code and tells the user by email.
func (s *Service) useBackupCode(ctx context.Context, t *store.Tenant, u *store.User, input string) error {
	norm, err := backupcodes.Normalize(input)
	if err != nil {
		return errCodeFormat
	}
	now := s.Clock()
	err = s.Store.UseBackupCode(ctx, t.ID, u.ID, backupcodes.Hash(s.Pepper, norm), now)
	if errors.Is(err, store.ErrNotFound) {
		return ErrCodeWrong
	}
	if err != nil {
		return err
	}
	remaining := 0
	if set, err := s.Store.BackupCodeSet(ctx, t.ID, u.ID); err == nil {
		remaining = set.Remaining()
	}
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFABackupCodeUsed, UserID: u.ID,
		Detail: map[string]string{"remaining": strconv.Itoa(remaining)}})
	s.Notify(ctx, t, u, mailBackupCodeUsed, map[string]any{"Remaining": remaining, "Low": remaining <= 2})
	return nil
}
