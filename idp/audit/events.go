package audit

import "slices"

// The catalogue: every audit event type Gatehouse writes. A constant's value
// is stored data (queried by type, asserted by tests): never change one; add
// a new constant instead. The line above each constant says when the event is
// written; catalogue.go is generated from these lines (go test -update).
const (
	// ---- sign-in ----

	// A sign-in was completed from an existing SSO session.
	LoginSSO = "login.sso"
	// A password sign-in failed (unknown user, no password, disabled or wrong password).
	LoginPasswordFailed = "login.password.failed"
	// A password sign-in succeeded (a second factor may still follow).
	LoginPasswordSucceeded = "login.password.succeeded"
	// A password sign-in found the password expired; the user must change it.
	LoginPasswordExpired = "login.password.expired"
	// A passkey sign-in failed.
	LoginPasskeyFailed = "login.passkey.failed"
	// A passkey sign-in succeeded.
	LoginPasskeySucceeded = "login.passkey.succeeded"
	// A sign-in request was continued from a browser other than the one that started it.
	LoginRequestForeignBrowser = "login.request.foreign_browser"
	// A sign-in attempt was refused by brute-force back-off or a lock.
	LoginThrottled = "login.throttled"
	// A failure counter (per IP or per account) reached its lock.
	LoginLocked = "login.locked"
	// An administrator cleared a user's sign-in lock (CLI).
	LoginUnlocked = "login.unlocked"
	// A sign-in was refused because the user blocked this browser.
	LoginBlockedDevice = "login.blocked_device"
	// A sign-in was refused because the user blocked this location.
	LoginBlockedLocation = "login.blocked_location"
	// A sign-in came from a browser the user had not signed in from before.
	LoginNewDevice = "login.new_device"
	// A sign-in came from a location the user had not signed in from before.
	LoginNewLocation = "login.new_location"

	// ---- sessions ----

	// A sign-in created a new SSO session.
	SessionCreated = "session.created"
	// A sign-in re-authenticated the browser's existing session in place.
	SessionReauthenticated = "session.reauthenticated"
	// A user signed out (account page or end_session).
	SessionLogout = "session.logout"
	// A session ended; Detail["reason"] says why.
	SessionEnded = "session.ended"
	// A back-channel logout token was posted to a relying party.
	SessionBackchannelLogout = "session.backchannel_logout"

	// ---- tokens ----

	// A token was revoked at the revocation endpoint.
	TokenRevoked = "token.revoked"
	// A revocation request for a token of another client was refused.
	TokenRevocationRefused = "token.revocation_refused"
	// An authorization code was used twice; what it issued was revoked.
	TokenCodeReused = "token.code.reused"
	// A rotated refresh token was used again; its family was revoked.
	TokenRefreshReused = "token.refresh.reused"

	// ---- second factors ----

	// Policy asked for no second factor at this sign-in.
	MFANotRequired = "mfa.not_required"
	// Policy asked for a second factor at this sign-in.
	MFARequired = "mfa.required"
	// The second-factor challenge was passed.
	MFAChallengeSucceeded = "mfa.challenge.succeeded"
	// A second-factor attempt failed.
	MFAChallengeFailed = "mfa.challenge.failed"
	// A sign-in attempt used up its second-factor tries and was ended.
	MFAChallengeExhausted = "mfa.challenge.exhausted"
	// The account's second-factor tries are locked for a while.
	MFAChallengeLocked = "mfa.challenge.locked"
	// An emailed or texted code was sent.
	MFACodeSent = "mfa.code.sent"
	// An emailed or texted code was not sent: send limit reached.
	MFACodeLimited = "mfa.code.limited"
	// A backup code was used.
	MFABackupCodeUsed = "mfa.backup_code.used"
	// A new set of backup codes was generated.
	MFABackupCodesGenerated = "mfa.backup_codes.generated"
	// The backup codes were downloaded as a file.
	MFABackupCodesDownloaded = "mfa.backup_codes.downloaded"
	// A second factor was enrolled and verified.
	MFAFactorEnrolled = "mfa.factor.enrolled"
	// A second factor was removed.
	MFAFactorRemoved = "mfa.factor.removed"
	// A second factor was renamed.
	MFAFactorRenamed = "mfa.factor.renamed"
	// A second factor was made the default.
	MFAFactorDefault = "mfa.factor.default"
	// Enrolling a second factor on the security page failed verification.
	MFAEnrollFailed = "mfa.enroll.failed"
	// Enrolment during sign-in was refused: the user already has factors.
	MFAEnrollRefused = "mfa.enroll.refused"
	// A sign-in needs a second factor but none the user holds is usable here.
	MFAUnusable = "mfa.unusable"
	// A browser was remembered so it is not asked for a second factor for a while.
	MFADeviceRemembered = "mfa.device.remembered"
	// The user forgot every remembered browser.
	MFADevicesForgotten = "mfa.devices.forgotten"
	// An administrator reset a user's second factors (CLI).
	MFAReset = "mfa.reset"
	// A passkey was refused as cloned (its signature counter did not advance).
	MFAWebauthnCloned = "mfa.webauthn.cloned"

	// ---- passwords and account ----

	// A password was changed (account page, expired password or reset); Detail["via"] says which.
	UserPasswordChanged = "user.password.changed"
	// A password change on the account page gave a wrong current password.
	UserPasswordChangeFailed = "user.password.change_failed"
	// A password reset link was emailed.
	PasswordResetRequested = "password_reset.requested"
	// A password reset was asked for an email no user has.
	PasswordResetUnknownEmail = "password_reset.unknown_email"
	// A password reset email was not sent: too many requests.
	PasswordResetSuppressed = "password_reset.suppressed"
	// A password reset link was invalid, expired or already used.
	PasswordResetLinkRefused = "password_reset.link_refused"
	// A password reset's second factor was passed.
	PasswordResetSecondFactor = "password_reset.second_factor"
	// A password reset's second factor failed.
	PasswordResetSecondFactorFailed = "password_reset.second_factor_failed"
	// A sensitive account action was done; Detail["action"] names it.
	AccountSensitive = "account.sensitive"
	// A sensitive account action was refused: the session is not fresh enough.
	AccountSensitiveRefused = "account.sensitive.refused"

	// ---- devices and locations (the user's devices page or the CLI) ----

	// A browser was blocked.
	DeviceBlock = "device.block"
	// A browser was unblocked.
	DeviceUnblock = "device.unblock"
	// A browser was forgotten (it is new again).
	DeviceForget = "device.forget"
	// A location was blocked.
	LocationBlock = "location.block"
	// A location was unblocked.
	LocationUnblock = "location.unblock"
	// A location was forgotten (it is new again).
	LocationForget = "location.forget"

	// ---- upstream identity ----

	// A user signed in through a linked upstream account.
	FederationLogin = "federation.login"
	// An upstream account was linked to a user.
	FederationLink = "federation.link"
	// A user removed a link to an upstream account.
	FederationUnlink = "federation.unlink"
	// A user was created on their first upstream sign-in.
	FederationJITCreated = "federation.jit_created"
	// An upstream sign-in or link was refused; Detail["reason"] says why.
	FederationRefused = "federation.refused"
	// Linking waits for proof of the local account (password or second factor).
	FederationProofRequired = "federation.proof_required"
	// The local account was proved for linking; Detail["proof"] says how.
	FederationProofPassed = "federation.proof_passed"
	// A code proving the local account for linking was emailed.
	FederationProofCodeSent = "federation.proof_code_sent"
	// An upstream connection was created.
	ConnectionCreated = "connection.created"
	// An upstream connection was changed.
	ConnectionUpdated = "connection.updated"
	// An upstream connection was enabled.
	ConnectionEnabled = "connection.enabled"
	// An upstream connection was disabled.
	ConnectionDisabled = "connection.disabled"
	// An upstream connection was removed.
	ConnectionRemoved = "connection.removed"

	// ---- IP allowlists ----

	// A request from an address outside the tenant's allowlist was refused.
	IPRefused = "ip.refused"
	// A tenant's IP allowlist was changed.
	IPAllowlistChanged = "ip_allowlist.changed"

	// ---- administration ----

	// A tenant was created.
	TenantCreated = "tenant.created"
	// A tenant's settings were changed.
	TenantUpdated = "tenant.updated"
	// A client was registered.
	ClientCreated = "client.created"
	// A user was created (CLI or first-owner setup link; Detail["via"] says which).
	UserCreated = "user.created"
	// A tenant's signing keys were rotated.
	KeysRotated = "keys.rotated"

	// ---- the audit log itself ----

	// An export of the tenant's audit log finished (Detail: export, format, since, until, rows, sha256).
	AuditExported = "audit.exported"
	// An export of the tenant's audit log failed (Detail: export id).
	AuditExportFailed = "audit.export.failed"
	// Someone without the owner role or the audit scope was refused the tenant's audit log.
	AuditAccessRefused = "audit.access_refused"
	// Retention deleted events older than the tenant keeps (Detail: count, before).
	AuditTruncated = "audit.truncated"
)

// Entry is one event type of the catalogue.
type Entry struct {
	Type        string
	Description string // when the event is written
}

// Catalogue lists every event type, sorted by type, with when it is written.
func Catalogue() []Entry { return slices.Clone(catalogue) }
