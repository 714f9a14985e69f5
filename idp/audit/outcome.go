package audit

import "github.com/gatehouse-idp/gatehouse/idp/store"

// failures are the event types that say something was refused or failed;
// successes those that say an attempt passed. Every other type is a plain
// fact (a code was sent, a setting changed) and has no outcome.
var failures = map[string]bool{
	LoginPasswordFailed: true, LoginPasskeyFailed: true, LoginRequestForeignBrowser: true, LoginThrottled: true,
	LoginLocked: true, LoginBlockedDevice: true, LoginBlockedLocation: true,
	MFAChallengeFailed: true, MFAChallengeExhausted: true, MFAChallengeLocked: true, MFACodeLimited: true,
	MFAEnrollFailed: true, MFAEnrollRefused: true, MFAUnusable: true, MFAWebauthnCloned: true,
	UserPasswordChangeFailed: true, PasswordResetLinkRefused: true, PasswordResetSecondFactorFailed: true,
	PasswordResetSuppressed: true, AccountSensitiveRefused: true, FederationRefused: true,
	TokenRevocationRefused: true, TokenCodeReused: true, TokenRefreshReused: true,
	IPRefused: true, AuditAccessRefused: true, AuditExportFailed: true,
}

var successes = map[string]bool{
	LoginPasswordSucceeded: true, LoginPasskeySucceeded: true, LoginSSO: true, FederationLogin: true,
	MFAChallengeSucceeded: true, PasswordResetSecondFactor: true, FederationProofPassed: true, AccountSensitive: true,
}

// OutcomeOf is the outcome an event of type typ records: store.AuditFailure,
// store.AuditSuccess, or "" for a plain fact.
func OutcomeOf(typ string) string {
	switch {
	case failures[typ]:
		return store.AuditFailure
	case successes[typ]:
		return store.AuditSuccess
	}
	return ""
}
