package audit

import (
	"maps"
	"slices"
)

// details declares the detail fields each event type may carry: the shape
// of an event's Detail, checked three ways — the Recorder logs any other key
// (never its value), TestDetailKeysDeclared parses every event literal of
// the repository, and the e2e suite checks every event it stored. Values
// are short words or ids, never a secret. A type that is not listed carries
// no detail.
var details = map[string][]string{
	AccountSensitive:          {"action", "freshness"},
	AccountSensitiveRefused:   {"reason", "route"},
	AuditAccessRefused:        {"route"},
	AuditExportFailed:         {"export", "format", "since", "until"},
	AuditExported:             {"export", "format", "rows", "sha256", "since", "until"},
	AuditTruncated:            {"before", "count"},
	ClientCreated:             {"name"},
	ConnectionCreated:         {"connection_id", "jit", "kind", "link_mode"},
	ConnectionDisabled:        {"connection_id"},
	ConnectionEnabled:         {"connection_id"},
	ConnectionRemoved:         {"connection_id", "kind", "sessions_ended"},
	ConnectionUpdated:         {"connection_id", "secret_changed"},
	DeviceBlock:               {"via"},
	DeviceForget:              {"via"},
	DeviceUnblock:             {"via"},
	FederationJITCreated:      {"connection_id", "issuer", "role", "subject"},
	FederationLink:            {"connection_id", "issuer", "subject", "via"},
	FederationLogin:           {"connection_id", "issuer", "subject"},
	FederationProofCodeSent:   {"connection_id", "factor_id", "kind"},
	FederationProofPassed:     {"attempt", "connection_id", "proof"},
	FederationProofRequired:   {"connection_id", "issuer", "subject"},
	FederationRefused:         {"attempt", "connection_id", "flow", "proof", "reason", "upstream_error", "why"},
	FederationUnlink:          {"connection_id", "issuer", "subject", "via"},
	IPAllowlistChanged:        {"action", "cidr", "entries", "forced", "scope"},
	IPRefused:                 {"route", "scope"},
	KeysRotated:               {"kid"},
	LocationBlock:             {"via"},
	LocationForget:            {"via"},
	LocationUnblock:           {"via"},
	LoginLocked:               {"counter", "failures", "minutes"},
	LoginNewLocation:          {"location"},
	LoginThrottled:            {"reason"},
	LoginUnlocked:             {"via"},
	MFABackupCodeUsed:         {"remaining"},
	MFABackupCodesGenerated:   {"set_id"},
	MFAChallengeFailed:        {"kind", "reason"},
	MFAChallengeSucceeded:     {"kind"},
	MFACodeLimited:            {"factor_id", "kind"},
	MFACodeSent:               {"factor_id", "kind", "purpose"},
	MFADeviceRemembered:       {"days"},
	MFAEnrollFailed:           {"kind"},
	MFAEnrollRefused:          {"path", "reason"},
	MFAFactorDefault:          {"factor_id"},
	MFAFactorEnrolled:         {"factor_id", "kind"},
	MFAFactorRemoved:          {"factor_id", "kind", "reason"},
	MFAFactorRenamed:          {"factor_id"},
	MFANotRequired:            {"reason"},
	MFARequired:               {"reason", "step"},
	MFAReset:                  {"by", "factors_removed"},
	MFAUnusable:               {"kinds"},
	PasswordResetSecondFactor: {"method"},
	PasswordResetSuppressed:   {"requests"},
	SessionBackchannelLogout:  {"error", "result"},
	SessionEnded:              {"connection_id", "reason"},
	TenantCreated:             {"slug"},
	TokenCodeReused:           {"reason"},
	TokenRefreshReused:        {"family_id"},
	TokenRevocationRefused:    {"reason", "token_type"},
	TokenRevoked:              {"token_type"},
	UserCreated:               {"role", "via"},
	UserPasswordChanged:       {"sessions_ended", "via"},
}

// DetailKeys is the detail fields an event type may carry (nil: none).
func DetailKeys(typ string) []string { return slices.Clone(details[typ]) }

// Undeclared returns the keys of d that typ does not declare, sorted.
func Undeclared(typ string, d map[string]string) []string { return undeclared(typ, d) }

// undeclared returns the keys of d that typ does not declare, sorted.
func undeclared(typ string, d map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(d)) {
		if !slices.Contains(details[typ], k) {
			out = append(out, k)
		}
	}
	return out
}
