package store

import (
	"context"
	"time"
)

// Second-factor kinds a Factor can be.
const (
	FactorTOTP     = "totp"
	FactorSMS      = "sms"
	FactorEmail    = "email"
	FactorWebAuthn = "webauthn"
)

// Factor is one enrolled (or enrolling) second factor of a user.
type Factor struct {
	ID       string
	TenantID string
	UserID   string
	Kind     string // FactorTOTP, FactorSMS, FactorEmail, FactorWebAuthn
	Name     string // the user's label ("Work phone", "YubiKey")
	// IsDefault marks the factor the challenge page offers first; at most
	// one per user (SetDefaultFactor keeps that true).
	IsDefault bool
	// Verified: enrollment finished (a TOTP code or a sent code was entered,
	// the WebAuthn registration was verified). Unverified factors are never
	// offered as a challenge.
	Verified bool

	// TOTP: the secret sealed by the caller (seal.PurposeFactorSecret) and
	// the time step of the last accepted code.
	SecretSealed []byte
	LastStep     int64

	// SMS and email: the E.164 number or address codes go to.
	Destination string

	// WebAuthn: the authenticator's credential id (unique per tenant), the
	// user's handle (the same for all of one user's credentials), the
	// signature counter and the whole credential record (JSON, owned by
	// mfa/webauthn).
	CredentialID []byte
	UserHandle   []byte
	SignCount    uint32
	Credential   []byte

	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// Factors stores second factors.
type Factors interface {
	// CreateFactor adds a factor; a WebAuthn credential id already
	// registered in the tenant is ErrConflict.
	CreateFactor(ctx context.Context, f *Factor) error
	FactorByID(ctx context.Context, tenantID, userID, id string) (*Factor, error)
	// ListFactors returns a user's factors, oldest first.
	ListFactors(ctx context.Context, tenantID, userID string) ([]*Factor, error)
	// FactorsByUserHandle returns the verified WebAuthn factors with this
	// user handle (a passwordless sign-in names the user only by it).
	FactorsByUserHandle(ctx context.Context, tenantID string, handle []byte) ([]*Factor, error)
	// UpdateFactor saves Name, Destination, Verified and SecretSealed.
	UpdateFactor(ctx context.Context, f *Factor) error
	// SetDefaultFactor makes id the user's only default factor.
	SetDefaultFactor(ctx context.Context, tenantID, userID, id string) error
	// AdvanceTOTPStep stores step as the last accepted TOTP step only if it
	// is newer than the stored one (one conditional UPDATE): ErrAlreadyUsed
	// when it is not, so a code is accepted once across replicas.
	AdvanceTOTPStep(ctx context.Context, tenantID, id string, step int64, now time.Time) error
	// AdvanceSignCount stores a WebAuthn login: the new counter and record,
	// only if count is above the stored counter or both are zero;
	// ErrAlreadyUsed otherwise (a cloned authenticator racing the real one).
	AdvanceSignCount(ctx context.Context, tenantID, id string, count uint32, credential []byte, now time.Time) error
	DeleteFactor(ctx context.Context, tenantID, userID, id string) error
	// ResetSecondFactors removes every factor, backup code set, pending OTP
	// challenge and remembered device of the user, in one transaction, and
	// returns how many factors it removed.
	ResetSecondFactors(ctx context.Context, tenantID, userID string) (int64, error)
}

// OTP challenge purposes.
const (
	OTPPurposeLogin  = "login"  // a second-factor challenge of a login attempt
	OTPPurposeEnroll = "enroll" // verifying a new phone number or address
)

// OTPChallenge is one code sent by SMS or email. The code itself is never
// stored: CodeHash is a keyed hash (mfa/otp.Hash).
type OTPChallenge struct {
	ID       string
	TenantID string
	UserID   string
	FactorID string
	Purpose  string // OTPPurposeLogin or OTPPurposeEnroll
	// Binding is what the code is good for: the auth request id of the login
	// attempt, or the factor id being enrolled. A code is only checked
	// against challenges with the same binding.
	Binding     string
	Destination string
	CodeHash    []byte
	Attempts    int
	CreatedAt   time.Time
	ExpiresAt   time.Time
	ConsumedAt  *time.Time
}

// OTPChallenges stores sent codes and the send history rate limits read.
type OTPChallenges interface {
	// CreateOTPChallenge stores a new challenge and records the send (for
	// the per-user and per-destination limits). Earlier unconsumed
	// challenges of the same factor and binding stop working.
	CreateOTPChallenge(ctx context.Context, c *OTPChallenge) error
	// LatestOTPChallenge returns the newest unconsumed challenge of the
	// factor with this purpose and binding.
	LatestOTPChallenge(ctx context.Context, tenantID, factorID, purpose, binding string) (*OTPChallenge, error)
	// CountOTPAttempt bumps the attempt counter of an unconsumed challenge
	// while it is below max, in one conditional UPDATE, and returns the count
	// before the bump; ErrAlreadyUsed when it is consumed or exhausted.
	CountOTPAttempt(ctx context.Context, tenantID, id string, max int) (int, error)
	// ConsumeOTPChallenge marks it used exactly once (ErrAlreadyUsed).
	ConsumeOTPChallenge(ctx context.Context, tenantID, id string, now time.Time) error
	// OTPSends returns the send times since `since` to the user and to the
	// destination (whichever user asked), newest first.
	OTPSends(ctx context.Context, tenantID, userID, destination string, since time.Time) (userSends, destinationSends []time.Time, err error)
}

// LoginState is the server-side part of a login transaction between the
// primary method and the session: who authenticated, how, and which step is
// next. It is bound to one auth request and dies with it.
type LoginState struct {
	TenantID      string
	AuthRequestID string
	UserID        string
	// Methods are the policy.Method values passed so far (primary first).
	Methods []string
	// Step is what the user must do next (see idp's second-factor steps).
	Step string
	// Reason is why a second factor is required (policy Reason* value).
	Reason string
	// Attempts counts failed second-factor attempts of this login.
	Attempts int
	// FactorID is the factor being enrolled, when Step is an enrollment.
	FactorID string
	// Ceremony is the pending WebAuthn ceremony (mfa/webauthn Session JSON).
	Ceremony  []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// LoginStates stores pending login transactions.
type LoginStates interface {
	// PutLoginState creates the state of an auth request, replacing any
	// earlier one (a new primary sign-in starts over).
	PutLoginState(ctx context.Context, s *LoginState) error
	// LoginState returns the state of an auth request; ErrExpired past
	// ExpiresAt at now.
	LoginState(ctx context.Context, tenantID, authRequestID string, now time.Time) (*LoginState, error)
	// AdvanceLoginState moves the state from step `from` to s.Step and saves
	// Methods, FactorID and Ceremony, only if the stored step is still
	// `from` (ErrConflict otherwise): two tabs cannot both move it on.
	AdvanceLoginState(ctx context.Context, s *LoginState, from string) error
	// CountLoginAttempt bumps the attempt counter while it is below max and
	// returns the new count; ErrAlreadyUsed when it already reached max.
	CountLoginAttempt(ctx context.Context, tenantID, authRequestID string, max int) (int, error)
	DeleteLoginState(ctx context.Context, tenantID, authRequestID string) error
	// ReserveFactorAttempt records one second-factor attempt of a user (any
	// login attempt, any page) as a failure at `at` before the code is
	// checked, in one conditional statement that refuses when limit
	// failures were already recorded since `since`: then it returns
	// ErrAlreadyUsed (the allowance is used up) and records nothing. It
	// returns how many failures count since `since`, this one included, and
	// drops older ones as it goes. N concurrent callers get exactly as many
	// reservations as the limit leaves.
	ReserveFactorAttempt(ctx context.Context, tenantID, userID string, at, since time.Time, limit int) (int, error)
	// RefundFactorAttempt takes back one attempt reserved at `at` (the code
	// was right).
	RefundFactorAttempt(ctx context.Context, tenantID, userID string, at time.Time) error
	// FactorFailures counts a user's failures since `since`.
	FactorFailures(ctx context.Context, tenantID, userID string, since time.Time) (int, error)
}

// BackupCodeSet is a user's current set of backup codes.
type BackupCodeSet struct {
	ID        string
	TenantID  string
	UserID    string
	CreatedAt time.Time
	// AcknowledgedAt: the user downloaded the codes or confirmed saving them;
	// until then the account page keeps prompting.
	AcknowledgedAt *time.Time
	// SealedCodes is the plaintext set, sealed by the caller, kept only
	// until AcknowledgedAt so the user can still download it.
	SealedCodes []byte
	Codes       []BackupCode
}

// BackupCode is one code of a set; Hash is HMAC-SHA256 under the pepper.
type BackupCode struct {
	Index  int
	Hash   []byte
	UsedAt *time.Time
}

// Remaining counts the unused codes.
func (s *BackupCodeSet) Remaining() int {
	n := 0
	for _, c := range s.Codes {
		if c.UsedAt == nil {
			n++
		}
	}
	return n
}

// BackupCodes stores backup code sets.
type BackupCodes interface {
	// ReplaceBackupCodes stores set (with its Codes) as the user's only set,
	// deleting the previous one in the same transaction.
	ReplaceBackupCodes(ctx context.Context, set *BackupCodeSet) error
	// BackupCodeSet returns the user's set (ErrNotFound when none).
	BackupCodeSet(ctx context.Context, tenantID, userID string) (*BackupCodeSet, error)
	// UseBackupCode marks the unused code with this hash used, in one
	// conditional UPDATE; ErrNotFound when no unused code matches.
	UseBackupCode(ctx context.Context, tenantID, userID string, hash []byte, now time.Time) error
	// AcknowledgeBackupCodes records that the user saved the set (the first
	// time only) and erases SealedCodes.
	AcknowledgeBackupCodes(ctx context.Context, tenantID, userID, setID string, now time.Time) error
}

// KnownDevice is a browser a user signed in from, named by the hash of its
// long-lived device cookie. The table is shared with the device centre,
// which may add columns (blocked_at, forgotten_at) without changing these.
type KnownDevice struct {
	TenantID   string
	UserID     string
	DeviceHash []byte
	Label      string // "Firefox on Linux"
	IP         string // last IP
	FirstSeen  time.Time
	LastSeen   time.Time
	// RememberUntil: the second factor is skipped on this device until then.
	RememberUntil *time.Time
}

// KnownLocation is a place (GeoIP city or network) a user signed in from.
type KnownLocation struct {
	TenantID  string
	UserID    string
	Key       string // geo location key ("DE/Berlin", "net:203.0.113.0/24")
	Label     string
	FirstSeen time.Time
	LastSeen  time.Time
}

// Devices stores known devices and locations.
type Devices interface {
	// TouchDevice records a sign-in from a device: inserted on first sight
	// (FirstSeen), LastSeen, Label and IP updated afterwards. RememberUntil is
	// only changed when non-nil.
	TouchDevice(ctx context.Context, d *KnownDevice) error
	Device(ctx context.Context, tenantID, userID string, hash []byte) (*KnownDevice, error)
	// ListDevices returns a user's devices, most recently seen first.
	ListDevices(ctx context.Context, tenantID, userID string) ([]*KnownDevice, error)
	// ForgetRememberedDevices clears RememberUntil on every device of the user.
	ForgetRememberedDevices(ctx context.Context, tenantID, userID string) error
	TouchLocation(ctx context.Context, l *KnownLocation) error
	Location(ctx context.Context, tenantID, userID, key string) (*KnownLocation, error)
	ListLocations(ctx context.Context, tenantID, userID string) ([]*KnownLocation, error)
}
