package idp

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/mfa/otp"
	mfawebauthn "github.com/gatehouse-idp/gatehouse/mfa/webauthn"
)

// Second factors (issue 4, docs/mfa.md). The libraries in mfa/ do the
// cryptography; this file holds what the server needs to run them: senders,
// keys derived from the master key, the WebAuthn relying party and the
// tenant's resolved policy. The login step is in mfa_login.go, the factor
// checks in mfa_verify.go, enrollment in mfa_enroll.go, the account page in
// mfa_account.go.

// LocationFunc names the location of a client address: a stable key for
// "seen before" comparisons and a label for people. *geo.Locator provides
// one (cmd/gatehouse wires it); nil means the /24 or /48 network.
type LocationFunc func(ip netip.Addr) (key, label string)

// mfaDeps are the second-factor collaborators of a Server.
type mfaDeps struct {
	email      notify.EmailSender          // nil: no email codes, no notifications
	sms        map[string]notify.SMSSender // by provider name
	defaultSMS string                      // provider used when the tenant names none
	locate     LocationFunc                // never nil after New
	outbox     *notify.Outbox              // dev only
	rules      otp.Rules                   // emailed and texted codes
	rp         *mfawebauthn.RelyingParty   // nil when PublicURL cannot be an RP origin
	pepper     []byte                      // backup codes: HMAC key
	otpKey     []byte                      // sent codes: HMAC key
	rpErr      error                       // why rp is nil
}

// Limits of the second-factor step.
const (
	// maxLoginFactorAttempts: wrong codes one login attempt may try.
	maxLoginFactorAttempts = 5
	// maxAccountFactorFailures within accountFailureWindow locks the second
	// factor of the account (every login attempt) until older failures age out.
	maxAccountFactorFailures = 10
	accountFailureWindow     = 15 * time.Minute
	// recentAuth is how fresh a session must be to change factors.
	recentAuth = 10 * time.Minute
	// maxRememberDeviceDays bounds the tenant setting.
	maxRememberDeviceDays = 365
)

func newMFADeps(o Options, sealer *seal.Sealer, publicURL string) (*mfaDeps, error) {
	d := &mfaDeps{
		email: o.EmailSender, sms: o.SMSSenders, defaultSMS: o.DefaultSMSProvider, locate: o.Locate,
		outbox: o.Outbox, rules: otp.DefaultRules(),
		pepper: sealer.Derive(seal.PurposeCodePepper),
		otpKey: sealer.Derive(seal.PurposeCodePepper + "/sent-codes"),
	}
	if o.OTPRules != nil {
		if err := o.OTPRules.Validate(); err != nil {
			return nil, err
		}
		d.rules = *o.OTPRules
	}
	if d.locate == nil {
		d.locate = networkLocation
	}
	if d.defaultSMS != "" && d.sms[d.defaultSMS] == nil {
		return nil, fmt.Errorf("idp: default SMS provider %q is not configured", d.defaultSMS)
	}
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		rpID := o.WebAuthnRPID
		if rpID == "" {
			rpID = u.Hostname()
		}
		d.rp, d.rpErr = mfawebauthn.New(mfawebauthn.Config{
			RPID: rpID, RPDisplayName: "Gatehouse", RPOrigins: []string{u.Scheme + "://" + u.Host},
			Rand: o.Rand, Now: o.Clock,
		})
	} else {
		d.rpErr = fmt.Errorf("public URL %q has no host", publicURL)
	}
	if d.rpErr != nil {
		o.Logger.Warn("passkeys are off", "err", d.rpErr)
	}
	return d, nil
}

// networkLocation is the location key without a GeoIP database: the /24
// (IPv4) or /48 (IPv6) network, the same rule as idp/geo's fallback.
func networkLocation(ip netip.Addr) (string, string) {
	if !ip.IsValid() {
		return "", ""
	}
	ip = ip.Unmap().WithZone("")
	bits := 48
	if ip.Is4() {
		bits = 24
	}
	pfx, err := ip.Prefix(bits)
	if err != nil {
		return "", ""
	}
	return "net:" + pfx.String(), "Network " + pfx.String()
}

// smsSender returns the tenant's SMS sender, or nil when SMS is off.
func (d *mfaDeps) smsSender(set store.TenantSettings) notify.SMSSender {
	name := set.SMSProvider
	if name == "" {
		name = d.defaultSMS
	}
	return d.sms[name]
}

// mfaPolicy is a tenant's second-factor policy with defaults applied.
//
// methods limits what can be ENROLLED; verifiable is what an existing
// factor can VERIFY with on this server. They differ on purpose: a tenant
// that stops offering a method, or a replica without an SMS sender, must
// not turn a user's enrolled factor into "no factor" (issue 8: that sent
// whoever knew the password to enrolment).
type mfaPolicy struct {
	mode         policy.MFAMode
	methods      []policy.Method // enabled by the tenant and deliverable: may be enrolled
	verifiable   []policy.Method // deliverable here, whatever the tenant enables: may verify
	rememberDays int
}

// allows: a factor of kind may be enrolled.
func (p mfaPolicy) allows(kind string) bool { return slices.Contains(p.methods, policy.Method(kind)) }

// canVerify: an enrolled factor of kind can be used to sign in on this server.
func (p mfaPolicy) canVerify(kind string) bool {
	return slices.Contains(p.verifiable, policy.Method(kind))
}

// mfaPolicy resolves the tenant's settings. A method that needs a sender
// which is not configured is left out (nobody could enroll it), and an
// unknown stored mode stays as is: RequireSecondFactor fails closed on it.
func (s *Server) mfaPolicy(set store.TenantSettings) mfaPolicy {
	mp := mfaPolicy{mode: policy.MFAMode(set.MFAMode), rememberDays: set.RememberDeviceDays}
	if mp.mode == "" {
		mp.mode = policy.DefaultMFAMode
	}
	if mp.rememberDays < 0 || mp.rememberDays > maxRememberDeviceDays {
		mp.rememberDays = 0
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
			mp.verifiable = append(mp.verifiable, m)
		}
	}
	for _, m := range methods {
		if s.deliverable(set, m) {
			mp.methods = append(mp.methods, m)
		}
	}
	return mp
}

// deliverable reports whether this server can run method m for a tenant
// with settings set: SMS and email need a sender, passkeys a relying party.
func (s *Server) deliverable(set store.TenantSettings, m policy.Method) bool {
	switch m {
	case policy.MethodSMS:
		return s.mfa.smsSender(set) != nil
	case policy.MethodEmail:
		return s.mfa.email != nil
	case policy.MethodWebAuthn:
		return s.mfa.rp != nil
	}
	return true
}

// usableFactors are the user's verified factors this server can verify
// (mfaPolicy.canVerify: whether the tenant still offers the kind for
// enrolment does not matter), default first.
func (s *Server) usableFactors(ctx context.Context, tenantID, userID string, mp mfaPolicy) ([]*store.Factor, error) {
	all, err := s.store.ListFactors(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	var out []*store.Factor
	for _, f := range all {
		if f.Verified && mp.canVerify(f.Kind) {
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
	return out, nil
}

// factorLabel is how a factor is named on pages.
func factorLabel(f *store.Factor) string {
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
