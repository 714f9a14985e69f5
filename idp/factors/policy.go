package factors

import (
	"context"
	"slices"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/mfa/otp"
)

// maxRememberDeviceDays bounds the tenant's "don't ask again" setting.
const maxRememberDeviceDays = 365

// Policy is a tenant's second-factor policy with defaults applied.
//
// Methods limits what can be ENROLLED; Verifiable is what an existing
// factor can VERIFY with on this server. They differ on purpose: a tenant
// that stops offering a method, or a replica without an SMS sender, must
// not turn a user's enrolled factor into "no factor" (that would send
// whoever knew the password to enrolment).
type Policy struct {
	Mode         policy.MFAMode
	Methods      []policy.Method // enabled by the tenant and deliverable: may be enrolled
	Verifiable   []policy.Method // deliverable here, whatever the tenant enables: may verify
	RememberDays int             // "don't ask again on this browser"; 0: not offered
}

// Allows reports whether a factor of kind may be enrolled.
func (p Policy) Allows(kind string) bool { return slices.Contains(p.Methods, policy.Method(kind)) }

// CanVerify reports whether an enrolled factor of kind can be used to sign
// in on this server.
func (p Policy) CanVerify(kind string) bool {
	return slices.Contains(p.Verifiable, policy.Method(kind))
}

// Policy resolves a tenant's settings. A method that needs a sender which
// is not configured is left out (nobody could enrol it), and an unknown
// stored mode stays as is: policy.RequireSecondFactor fails closed on it.
func (s *Service) Policy(set store.TenantSettings) Policy {
	mp := Policy{Mode: policy.MFAMode(set.MFAMode), RememberDays: set.RememberDeviceDays}
	if mp.Mode == "" {
		mp.Mode = policy.DefaultMFAMode
	}
	if mp.RememberDays < 0 || mp.RememberDays > maxRememberDeviceDays {
		mp.RememberDays = 0
	}
	methods := policy.DefaultMFAMethods()
	if len(set.MFAMethods) > 0 {
		methods = nil
		for _, m := range set.MFAMethods {
			methods = append(methods, policy.Method(m))
		}
	}
	for _, m := range []policy.Method{policy.MethodTOTP, policy.MethodSMS, policy.MethodEmail, policy.MethodWebAuthn} {
		if s.deliverable(set, m) { // verifying needs the same as delivering
			mp.Verifiable = append(mp.Verifiable, m)
		}
	}
	for _, m := range methods {
		if s.deliverable(set, m) {
			mp.Methods = append(mp.Methods, m)
		}
	}
	return mp
}

// TenantPolicy is Policy of t's current settings.
func (s *Service) TenantPolicy(ctx context.Context, t *store.Tenant) Policy {
	return s.Policy(s.settings(ctx, t))
}

// PasskeySignIn reports whether t's sign-in page offers "Sign in with a
// passkey": passkeys work here and the tenant allows enrolling them.
func (s *Service) PasskeySignIn(ctx context.Context, t *store.Tenant) bool {
	return s.RP != nil && s.TenantPolicy(ctx, t).Allows(store.FactorWebAuthn)
}

// deliverable reports whether this server can run method m for a tenant
// with settings set: SMS and email need a sender, passkeys a relying party.
func (s *Service) deliverable(set store.TenantSettings, m policy.Method) bool {
	switch m {
	case policy.MethodSMS:
		return s.smsSender(set) != nil
	case policy.MethodEmail:
		return s.SendEmail != nil
	case policy.MethodWebAuthn:
		return s.RP != nil
	}
	return true
}

// smsSender returns the tenant's SMS sender, or nil when SMS is off.
func (s *Service) smsSender(set store.TenantSettings) notify.SMSSender {
	name := set.SMSProvider
	if name == "" {
		name = s.DefaultSMS
	}
	return s.SMS[name]
}

// UsableFactors are the user's verified factors this server can verify
// (Policy.CanVerify: whether the tenant still offers the kind for
// enrolment does not matter), default first.
func (s *Service) UsableFactors(ctx context.Context, tenantID, userID string, mp Policy) ([]*store.Factor, error) {
	all, err := s.Store.ListFactors(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	return usable(all, mp), nil
}

// usable keeps the verified factors of all that mp can verify, default first.
func usable(all []*store.Factor, mp Policy) []*store.Factor {
	var out []*store.Factor
	for _, f := range all {
		if f.Verified && mp.CanVerify(f.Kind) {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b *store.Factor) int {
		switch {
		case a.IsDefault == b.IsDefault:
			return 0
		case a.IsDefault:
			return -1
		}
		return 1
	})
	return out
}

// Label is how a factor is named on pages and in emails.
func Label(f *store.Factor) string {
	switch f.Kind {
	case store.FactorTOTP:
		return "Authenticator app" + nameSuffix(f.Name, "Authenticator app")
	case store.FactorSMS:
		return "Text message to " + otp.MaskPhone(f.Destination)
	case store.FactorEmail:
		return "Email to " + otp.MaskEmail(f.Destination)
	case store.FactorWebAuthn:
		if f.Name != "" {
			return "Passkey “" + f.Name + "”"
		}
		return "Passkey or security key"
	}
	return f.Kind
}

func nameSuffix(name, generic string) string {
	if name == "" || name == generic {
		return ""
	}
	return " “" + name + "”"
}
