package factors

import (
	"context"
	"errors"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/mfa/otp"
	"github.com/gatehouse-idp/gatehouse/mfa/totp"
)

// Enrolment, shared by the login transaction (a user who must use a second
// factor but has none) and the account security page: a factor is created
// unverified and becomes usable only once its first code was entered (TOTP,
// SMS, email) or its registration verified (WebAuthn).

const maxFactorName = 64

func defaultFactorName(kind string) string {
	switch kind {
	case store.FactorTOTP:
		return "Authenticator app"
	case store.FactorSMS:
		return "Mobile phone"
	case store.FactorEmail:
		return "Email"
	}
	return "Passkey"
}

// CleanName trims a user-given label of a factor of kind to something
// displayable (the kind's default name when nothing is left).
func CleanName(name, kind string) string {
	name = strings.Join(strings.FieldsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f || r == ' ' }), " ")
	if r := []rune(name); len(r) > maxFactorName {
		name = string(r[:maxFactorName])
	}
	if name == "" {
		return defaultFactorName(kind)
	}
	return name
}

// StartEnrollment creates an unverified factor of kind (totp, sms, email)
// for u, replacing the user's earlier unfinished enrolments. A refusal of
// the input (kind, phone number) is web.Public.
func (s *Service) StartEnrollment(ctx context.Context, t *store.Tenant, u *store.User, kind, phone string) (*store.Factor, error) {
	if err := s.dropUnverified(ctx, t.ID, u.ID); err != nil {
		return nil, err
	}
	now := s.Clock()
	f := &store.Factor{ID: store.NewID(), TenantID: t.ID, UserID: u.ID, Kind: kind, Name: defaultFactorName(kind), CreatedAt: now}
	switch kind {
	case store.FactorTOTP:
		secret, err := totp.NewSecret(s.Rand)
		if err != nil {
			return nil, err
		}
		if f.SecretSealed, err = s.Sealer.Seal(seal.PurposeFactorSecret, totpLabel(f), secret); err != nil {
			return nil, err
		}
	case store.FactorSMS:
		e164, err := otp.NormalizePhone(phone, "")
		if err != nil {
			return nil, errPhone
		}
		f.Destination = e164
	case store.FactorEmail:
		f.Destination = u.Email
	default:
		return nil, ErrKindNotAllowed
	}
	if err := s.Store.CreateFactor(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// dropUnverified removes a user's unfinished enrolments.
func (s *Service) dropUnverified(ctx context.Context, tenantID, userID string) error {
	all, err := s.Store.ListFactors(ctx, tenantID, userID)
	if err != nil {
		return err
	}
	for _, f := range all {
		if !f.Verified {
			if err := s.Store.DeleteFactor(ctx, tenantID, userID, f.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

// ConfirmEnrollment checks the first code of an unverified factor, reserved
// against g (the account's second-factor failures), and activates it.
func (s *Service) ConfirmEnrollment(ctx context.Context, g Guard, t *store.Tenant, u *store.User, f *store.Factor, code string) error {
	if f.Kind != store.FactorTOTP && f.Kind != store.FactorSMS && f.Kind != store.FactorEmail {
		return ErrKindNotAllowed
	}
	// A TOTP step is spent by this check: this code cannot sign in later.
	c := &CodeCredential{Tenant: t, User: u, Factors: []*store.Factor{f}, Purpose: store.OTPPurposeEnroll, Binding: f.ID, Code: code}
	if err := s.VerifyThrottled(ctx, g, c); err != nil {
		return err
	}
	return s.activateFactor(ctx, t, u, f)
}

// activateFactor marks f verified, makes it the default when the user has
// none, records the event and tells the user.
func (s *Service) activateFactor(ctx context.Context, t *store.Tenant, u *store.User, f *store.Factor) error {
	f.Verified = true
	if err := s.Store.UpdateFactor(ctx, f); err != nil {
		return err
	}
	all, err := s.Store.ListFactors(ctx, t.ID, u.ID)
	if err != nil {
		return err
	}
	hasDefault := false
	for _, o := range all {
		hasDefault = hasDefault || (o.Verified && o.IsDefault)
	}
	if !hasDefault {
		if err := s.Store.SetDefaultFactor(ctx, t.ID, u.ID, f.ID); err != nil {
			return err
		}
		f.IsDefault = true
	}
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAFactorEnrolled, UserID: u.ID,
		Detail: map[string]string{"factor_id": f.ID, "kind": f.Kind}})
	s.Notify(ctx, t, u, mailFactorAdded, map[string]any{"Factor": Label(f)})
	return nil
}

// RemoveFactor deletes u's factor f, records why and tells the user. A
// failure is logged, not returned.
func (s *Service) RemoveFactor(ctx context.Context, t *store.Tenant, u *store.User, f *store.Factor, why string) {
	if err := s.Store.DeleteFactor(ctx, t.ID, u.ID, f.ID); err != nil {
		s.Log.Error("account: remove factor", "tenant", t.Slug, "err", err)
		return
	}
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAFactorRemoved, UserID: u.ID,
		Detail: map[string]string{"factor_id": f.ID, "kind": f.Kind, "reason": why}})
	s.Notify(ctx, t, u, mailFactorRemoved, map[string]any{"Factor": Label(f)})
}
