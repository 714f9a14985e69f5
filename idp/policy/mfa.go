package policy

import (
	"errors"
	"fmt"
	"strings"
)

// MFAMode is a tenant's rule for when a second factor is required.
type MFAMode string

// Second-factor modes.
const (
	MFANever       MFAMode = "never"        // only when the client demands it (acr_values)
	MFAAlways      MFAMode = "always"       // every sign-in, unless the device is remembered
	MFANewDevice   MFAMode = "new-device"   // when the device cookie is unknown
	MFANewLocation MFAMode = "new-location" // when the sign-in location is unknown
)

// DefaultMFAMode is "always": helpdesk agents see customer data, so every
// sign-in asks for a second factor unless the agent chose to remember the
// device, which keeps the daily cost to one prompt per device.
const DefaultMFAMode = MFAAlways

// DefaultMFAMethods returns the second factors enabled by default: TOTP and
// WebAuthn, which need no outside service. SMS and email codes need a
// configured sender, and an email code does not count as a second factor for
// acr (see ACR), so a tenant turns them on deliberately.
func DefaultMFAMethods() []Method { return []Method{MethodTOTP, MethodWebAuthn} }

// ParseMFAMode parses a configured mode (case-insensitive, spaces trimmed).
func ParseMFAMode(s string) (MFAMode, error) {
	switch m := MFAMode(strings.ToLower(strings.TrimSpace(s))); m {
	case MFANever, MFAAlways, MFANewDevice, MFANewLocation:
		return m, nil
	}
	return "", fmt.Errorf("policy: second-factor mode %q is not one of %s, %s, %s, %s",
		s, MFANever, MFAAlways, MFANewDevice, MFANewLocation)
}

// Signals are the facts about one sign-in that the decision depends on.
type Signals struct {
	// DeviceKnown: the device cookie belongs to a device this user signed in
	// from before.
	DeviceKnown bool
	// DeviceRemembered: a valid "remember this device" cookie was presented
	// (the user passed a second factor on this device and ticked the box).
	DeviceRemembered bool
	// LocationKnown: the sign-in location (network/region) was seen before.
	LocationKnown bool
	// ACRRequested: the client's acr_values (or max_age/prompt step-up)
	// demand multi-factor authentication for this request.
	ACRRequested bool
	// UpstreamMFA: the federated upstream asserted it performed MFA and the
	// tenant's connection is configured to trust that assertion.
	UpstreamMFA bool
}

// Reasons returned by RequireSecondFactor, stable strings for audit events.
const (
	ReasonUpstreamMFA      = "upstream_mfa"      // not required: trusted upstream did MFA
	ReasonACRRequested     = "acr_requested"     // required: the client demanded it
	ReasonDeviceRemembered = "device_remembered" // not required: remembered device
	ReasonModeNever        = "mode_never"        // not required: tenant never requires it
	ReasonModeAlways       = "mode_always"       // required: tenant always requires it
	ReasonNewDevice        = "new_device"        // required: device not known
	ReasonKnownDevice      = "known_device"      // not required: device known
	ReasonNewLocation      = "new_location"      // required: location not known
	ReasonKnownLocation    = "known_location"    // not required: location known
	ReasonUnknownMode      = "unknown_mode"      // required: misconfigured mode fails closed
)

// RequireSecondFactor decides whether this sign-in needs a second factor,
// and why. Rules, first match wins:
//
//  1. A trusted upstream MFA assertion satisfies the requirement, even one
//     the client demanded.
//  2. A client demand (ACRRequested) requires a second factor, even on a
//     remembered device: that is what step-up means.
//  3. A remembered device skips the second factor.
//  4. Otherwise the tenant's mode: never -> no; always -> yes; new-device ->
//     unless the device is known; new-location -> unless the location is known.
//  5. An unknown mode requires a second factor (fail closed).
func RequireSecondFactor(mode MFAMode, s Signals) (required bool, reason string) {
	switch {
	case s.UpstreamMFA:
		return false, ReasonUpstreamMFA
	case s.ACRRequested:
		return true, ReasonACRRequested
	}
	switch mode {
	case MFANever:
		return false, ReasonModeNever
	case MFAAlways, MFANewDevice, MFANewLocation:
	default:
		return true, ReasonUnknownMode
	}
	if s.DeviceRemembered {
		return false, ReasonDeviceRemembered
	}
	switch mode {
	case MFAAlways:
		return true, ReasonModeAlways
	case MFANewDevice:
		if s.DeviceKnown {
			return false, ReasonKnownDevice
		}
		return true, ReasonNewDevice
	default: // MFANewLocation
		if s.LocationKnown {
			return false, ReasonKnownLocation
		}
		return true, ReasonNewLocation
	}
}

// Method is a way of authenticating. The first two are primary methods; the
// rest are second factors.
type Method string

// Authentication methods.
const (
	MethodPassword   Method = "password"    // local password
	MethodFederated  Method = "federated"   // signed in at an upstream IdP (Google, Office 365, OIDC)
	MethodTOTP       Method = "totp"        // authenticator app code (RFC 6238)
	MethodSMS        Method = "sms"         // code sent by text message
	MethodEmail      Method = "email"       // code sent by email
	MethodWebAuthn   Method = "webauthn"    // passkey or security key used as a second factor
	MethodBackupCode Method = "backup-code" // single-use recovery code
	// MethodPasskey is a passwordless sign-in with a WebAuthn credential
	// whose assertion had the user-verified (UV) flag set: possession of the
	// key plus the device's PIN or biometric, so two factors on its own.
	// Report MethodWebAuthn instead when UV was not performed.
	MethodPasskey Method = "passkey"
	// MethodUpstreamMFA is not a method the user performs here: it records
	// that a trusted upstream asserted MFA (see Signals.UpstreamMFA).
	MethodUpstreamMFA Method = "upstream-mfa"
)

// secondFactorMethods are the methods a tenant can enable, in display order.
var secondFactorMethods = []Method{MethodTOTP, MethodSMS, MethodEmail, MethodWebAuthn}

// SecondFactorMethods returns the methods a tenant can enable, in display order.
func SecondFactorMethods() []Method {
	return append([]Method(nil), secondFactorMethods...)
}

// ErrUnknownMethod is wrapped by ParseMethods for each value it rejects.
var ErrUnknownMethod = errors.New("not a second-factor method (use totp, sms, email or webauthn)")

// ParseMethods parses a tenant's comma-separated list of enabled second
// factors, e.g. "totp,sms,email,webauthn". Values are case-insensitive and
// trimmed, empty elements and duplicates are dropped, order is kept. Every
// bad value is reported at once, each naming the value. An empty string
// yields no methods and no error.
func ParseMethods(s string) ([]Method, error) {
	var (
		out  []Method
		errs []error
		seen = map[Method]bool{}
	)
	for raw := range strings.SplitSeq(s, ",") {
		v := strings.ToLower(strings.TrimSpace(raw))
		if v == "" {
			continue
		}
		m := Method(v)
		if !isSecondFactor(m) {
			errs = append(errs, fmt.Errorf("policy: second-factor method %q: %w", strings.TrimSpace(raw), ErrUnknownMethod))
			continue
		}
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func isSecondFactor(m Method) bool {
	for _, f := range secondFactorMethods {
		if f == m {
			return true
		}
	}
	return false
}
