package policy

import "slices"

// amr values (RFC 8176 §2 unless noted) that Gatehouse puts in ID tokens.
const (
	AMRPassword    = "pwd"   // RFC 8176: password
	AMROTP         = "otp"   // RFC 8176: one-time password (TOTP; also our backup codes)
	AMRSMS         = "sms"   // RFC 8176: confirmation by SMS text message
	AMRHardwareKey = "hwk"   // RFC 8176: proof of possession of a hardware-secured key (WebAuthn)
	AMRMFA         = "mfa"   // RFC 8176: multiple-factor authentication
	AMREmail       = "email" // Gatehouse's own, not in RFC 8176: code sent by email
	AMRFederated   = "fed"   // Gatehouse's own, not in RFC 8176: signed in at an upstream IdP
)

// acr values Gatehouse issues, weakest first.
const (
	// ACRPassword: one factor, or a second factor that does not count (email).
	ACRPassword = "urn:gatehouse:acr:pwd"
	// ACRMFA: two independent factors.
	ACRMFA = "urn:gatehouse:acr:mfa"
	// ACRPhishingResistant: two factors, one of them a WebAuthn credential,
	// which a look-alike site cannot relay because it is bound to the origin.
	ACRPhishingResistant = "urn:gatehouse:acr:phr"
)

// amrOrder is the order amr values appear in a token.
var amrOrder = []string{AMRPassword, AMRFederated, AMRHardwareKey, AMROTP, AMRSMS, AMREmail, AMRMFA}

// AMRFor returns the amr claim for a completed sign-in that used methods
// (any order, duplicates allowed; unknown methods are left out, which can
// only under-state the sign-in). "mfa" is added when two independent factors
// were used: a primary method (password or upstream sign-in) plus TOTP, SMS,
// a backup code or WebAuthn; or a user-verified passkey alone; or a trusted
// upstream MFA assertion. An email code is listed as "email" but never makes
// a sign-in multi-factor (see ACR).
func AMRFor(methods ...Method) []string {
	set := map[string]bool{}
	for _, m := range methods {
		switch m {
		case MethodPassword:
			set[AMRPassword] = true
		case MethodFederated:
			set[AMRFederated] = true
		case MethodTOTP, MethodBackupCode:
			set[AMROTP] = true
		case MethodSMS:
			set[AMRSMS] = true
		case MethodEmail:
			set[AMREmail] = true
		case MethodWebAuthn:
			set[AMRHardwareKey] = true
		case MethodPasskey:
			set[AMRHardwareKey] = true
			set[AMRMFA] = true
		case MethodUpstreamMFA:
			set[AMRMFA] = true
		}
	}
	if countsAsMFA(set) {
		set[AMRMFA] = true
	}
	out := make([]string, 0, len(set))
	for _, v := range amrOrder {
		if set[v] {
			out = append(out, v)
		}
	}
	return out
}

// countsAsMFA applies the two-independent-factors rule to a set of amr
// values: a primary factor (pwd or fed) and a possession factor (otp, sms,
// hwk). "email" is not a possession factor: NIST SP 800-63B §5.1.3.1 rules
// email out as an out-of-band authenticator, because whoever can read the
// mailbox (often with the same password) gets the code.
func countsAsMFA(set map[string]bool) bool {
	if set[AMRMFA] {
		return true
	}
	primary := set[AMRPassword] || set[AMRFederated]
	possession := set[AMROTP] || set[AMRSMS] || set[AMRHardwareKey]
	return primary && possession
}

// ACR returns the acr value earned by a sign-in with the given amr values
// (ours from AMRFor, or any list using the same vocabulary). The weakest
// link decides: a sign-in is only as strong as the factors that count.
//
//   - phr: multi-factor and one factor is WebAuthn (hwk).
//   - mfa: multi-factor ("mfa" present, or a primary plus otp/sms/hwk).
//   - pwd: anything else that names a known method, including password plus
//     an email code, which is reported as single-factor.
//   - "": no known method at all (nothing to claim).
func ACR(amr []string) string {
	set := map[string]bool{}
	known := false
	for _, v := range amr {
		set[v] = true
		if slices.Contains(amrOrder, v) {
			known = true
		}
	}
	switch {
	case countsAsMFA(set) && set[AMRHardwareKey]:
		return ACRPhishingResistant
	case countsAsMFA(set):
		return ACRMFA
	case known:
		return ACRPassword
	}
	return ""
}

// ACRRank orders acr values: 0 for unknown, 1 pwd, 2 mfa, 3 phr.
func ACRRank(acr string) int {
	switch acr {
	case ACRPassword:
		return 1
	case ACRMFA:
		return 2
	case ACRPhishingResistant:
		return 3
	}
	return 0
}

// SatisfiesACR reports whether a sign-in that earned have meets a client's
// request for want. An unknown want is met by nothing (the client must ask
// for a value we issue); an unknown have meets nothing.
func SatisfiesACR(have, want string) bool {
	w := ACRRank(want)
	return w > 0 && ACRRank(have) >= w
}
