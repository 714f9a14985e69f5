package idp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/mfa/backupcodes"
	"github.com/gatehouse-idp/gatehouse/mfa/otp"
	"github.com/gatehouse-idp/gatehouse/mfa/totp"
)

// Checking and sending codes. Every single-use value is consumed by one
// conditional UPDATE in the store (TOTP step, OTP challenge, backup code),
// so two replicas racing on one code cannot both accept it.

// userError is a refusal worded for the person at the page; errors.Is
// compares the constants below, and userFacing recognises the type.
type userError string

func (e userError) Error() string { return string(e) }

// Why a code was refused. None carries the code.
const (
	errCodeWrong      userError = "That code is not correct."
	errCodeReplayed   userError = "That code was already used. Wait for the next one."
	errCodeNone       userError = "No code was sent yet, or it was replaced by a newer one. Send a new code."
	errCodeExpired    userError = "That code has expired. Send a new code."
	errCodeTooMany    userError = "Too many wrong codes. Send a new code."
	errCodeFormat     userError = "Enter the code as shown."
	errNoSender       userError = "Codes cannot be sent right now. Choose another method."
	errSendFailed     userError = "The code could not be sent. Try again in a moment or choose another method."
	errPhone          userError = "Enter a mobile number in international format, for example +49 151 23456789."
	errKindNotAllowed userError = "That method is not available for your organisation."
)

// rateLimitedError: a send refused by the per-user or per-destination limits.
type rateLimitedError struct{ retry time.Duration }

func (e *rateLimitedError) Error() string {
	secs := int(e.retry.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	if secs <= 120 {
		return "A code was sent a moment ago. You can ask for a new one in " + strconv.Itoa(secs) + " seconds."
	}
	return "Too many codes were sent. Try again later or choose another method."
}

// userFacing reports whether err is one of the messages above, or a
// brute-force refusal (credential_guard.go), shown as is, rather than an
// internal failure (logged, shown generically).
func userFacing(err error) bool {
	var rl *rateLimitedError
	var ue userError
	var te *throttledError
	return errors.As(err, &rl) || errors.As(err, &ue) || errors.As(err, &te)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func totpLabel(f *store.Factor) string { return f.TenantID + "/" + f.ID }

// openTOTPSecret unseals a factor's TOTP secret.
func (s *Server) openTOTPSecret(f *store.Factor) ([]byte, error) {
	return s.sealer.Open(seal.PurposeFactorSecret, totpLabel(f), f.SecretSealed)
}

// checkTOTP verifies an authenticator-app code and advances the factor's
// last step, so the same code (or an older one) never works again.
func (s *Server) checkTOTP(ctx context.Context, f *store.Factor, code string) error {
	secret, err := s.openTOTPSecret(f)
	if err != nil {
		return fmt.Errorf("open totp secret: %w", err)
	}
	now := s.clock()
	step, err := totp.Verify(secret, code, now, f.LastStep)
	switch {
	case errors.Is(err, totp.ErrMalformed):
		return errCodeFormat
	case errors.Is(err, totp.ErrReplayed):
		return errCodeReplayed
	case errors.Is(err, totp.ErrInvalidCode):
		return errCodeWrong
	case err != nil:
		return err
	}
	if err := s.store.AdvanceTOTPStep(ctx, f.TenantID, f.ID, step, now); err != nil {
		if errors.Is(err, store.ErrAlreadyUsed) {
			return errCodeReplayed // another replica accepted this step first
		}
		return err
	}
	return nil
}

// checkSentCode verifies a code sent by SMS or email for (purpose, binding):
// the attempt is counted before the comparison, and the challenge consumed
// once on success.
func (s *Server) checkSentCode(ctx context.Context, f *store.Factor, purpose, binding, input string) error {
	code, err := otp.NormalizeCode(input)
	if err != nil {
		return errCodeFormat
	}
	c, err := s.store.LatestOTPChallenge(ctx, f.TenantID, f.ID, purpose, binding)
	if isNotFound(err) {
		return errCodeNone
	}
	if err != nil {
		return err
	}
	now := s.clock()
	before, err := s.store.CountOTPAttempt(ctx, f.TenantID, c.ID, s.mfa.rules.MaxAttempts)
	if errors.Is(err, store.ErrAlreadyUsed) {
		return errCodeTooMany
	}
	if err != nil {
		return err
	}
	switch err := s.mfa.rules.Verify(s.mfa.otpKey, c.CodeHash, code, before, c.CreatedAt, now); {
	case errors.Is(err, otp.ErrExpired):
		return errCodeExpired
	case errors.Is(err, otp.ErrTooManyAttempts):
		return errCodeTooMany
	case errors.Is(err, otp.ErrInvalidCode):
		return errCodeWrong
	case err != nil:
		return err
	}
	if err := s.store.ConsumeOTPChallenge(ctx, f.TenantID, c.ID, now); err != nil {
		if errors.Is(err, store.ErrAlreadyUsed) {
			return errCodeNone
		}
		return err
	}
	return nil
}

// sendCode creates a challenge for (purpose, binding) and sends its code to
// the factor's destination, within the per-user and per-destination limits.
func (s *Server) sendCode(ctx context.Context, t *store.Tenant, u *store.User, f *store.Factor, purpose, binding string) error {
	set := t.Settings
	if tt, err := s.tenants.ByID(ctx, t.ID); err == nil {
		set = tt.Settings
	}
	var sms notify.SMSSender
	switch f.Kind {
	case store.FactorSMS:
		if sms = s.mfa.smsSender(set); sms == nil {
			return errNoSender
		}
	case store.FactorEmail:
		if s.mfa.email == nil {
			return errNoSender
		}
	default:
		return fmt.Errorf("sendCode: factor kind %q has no sent codes", f.Kind)
	}
	now := s.clock()
	window := max(s.mfa.rules.PerUser.Window, s.mfa.rules.PerDestination.Window, s.mfa.rules.ResendCooldown)
	userSends, destSends, err := s.store.OTPSends(ctx, t.ID, u.ID, f.Destination, now.Add(-window))
	if err != nil {
		return err
	}
	if ok, retry, _ := s.mfa.rules.CanSend(userSends, destSends, now); !ok {
		s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFACodeLimited, UserID: u.ID,
			Detail: map[string]string{"factor_id": f.ID, "kind": f.Kind}})
		return &rateLimitedError{retry: retry}
	}
	code, err := otp.NewCode(s.rand)
	if err != nil {
		return err
	}
	c := &store.OTPChallenge{ID: store.NewID(), TenantID: t.ID, UserID: u.ID, FactorID: f.ID, Purpose: purpose, Binding: binding,
		Destination: f.Destination, CodeHash: otp.Hash(s.mfa.otpKey, code), CreatedAt: now, ExpiresAt: s.mfa.rules.ExpiresAt(now)}
	if err := s.store.CreateOTPChallenge(ctx, c); err != nil {
		return err
	}
	minutes := int(s.mfa.rules.TTL / time.Minute)
	if f.Kind == store.FactorSMS {
		body := fmt.Sprintf("%s: your sign-in code is %s. It expires in %d minutes. Never share it.", set.Sender(t.Name), code, minutes)
		err = sms.SendSMS(ctx, notify.SMS{To: f.Destination, Body: body})
	} else {
		err = s.mailer.Send(ctx, t, f.Destination, mailer.Code, map[string]any{"Code": code, "Minutes": minutes, "Enroll": purpose == store.OTPPurposeEnroll})
	}
	if err != nil {
		s.log.Error("mfa: send code", "tenant", t.Slug, "user_id", u.ID, "kind", f.Kind, "err", err)
		return errSendFailed
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
// runs only behind a reservation (codeCredential, credential_guard.go).
func (s *Server) checkFactorCode(ctx context.Context, t *store.Tenant, u *store.User, f *store.Factor, purpose, binding, code string) error {
	if f.TenantID != t.ID || f.UserID != u.ID || f.Verified != (purpose == store.OTPPurposeLogin) {
		return fmt.Errorf("checkFactorCode: factor not usable for this user: %w", store.ErrNotFound)
	}
	switch f.Kind {
	case store.FactorTOTP:
		return s.checkTOTP(ctx, f, code)
	case store.FactorSMS, store.FactorEmail:
		return s.checkSentCode(ctx, f, purpose, binding, code)
	}
	return fmt.Errorf("checkFactorCode: factor kind %q has no typed codes", f.Kind)
}

// useBackupCode redeems one backup code and tells the user by email.
func (s *Server) useBackupCode(ctx context.Context, t *store.Tenant, u *store.User, input string) error {
	norm, err := backupcodes.Normalize(input)
	if err != nil {
		return errCodeFormat
	}
	now := s.clock()
	err = s.store.UseBackupCode(ctx, t.ID, u.ID, backupcodes.Hash(s.mfa.pepper, norm), now)
	if isNotFound(err) {
		return errCodeWrong
	}
	if err != nil {
		return err
	}
	remaining := 0
	if set, err := s.store.BackupCodeSet(ctx, t.ID, u.ID); err == nil {
		remaining = set.Remaining()
	}
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFABackupCodeUsed, UserID: u.ID,
		Detail: map[string]string{"remaining": strconv.Itoa(remaining)}})
	s.mailer.Notify(ctx, t, u, mailer.BackupCodeUsed, map[string]any{"Remaining": remaining, "Low": remaining <= 2})
	return nil
}
