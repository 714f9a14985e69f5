package factors

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/password"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/tenant"
	"github.com/gatehouse-idp/gatehouse/mfa/otp"
	mfawebauthn "github.com/gatehouse-idp/gatehouse/mfa/webauthn"
)

// Service runs second factors and the credential guard for every tenant.
// The root builds it in idp.New; every field but SMS, DefaultSMS, RP and
// SendEmail is required.
type Service struct {
	Store   Store
	Sealer  *seal.Sealer     // TOTP secrets and the shown-once backup codes, sealed
	Hasher  *password.Hasher // password checks (PasswordCredential)
	Tenants *tenant.Tenants  // a tenant's current settings
	Audit   *audit.Recorder
	Log     *slog.Logger
	Clock   func() time.Time
	Rand    io.Reader

	// SMS are the configured SMS providers by name; DefaultSMS is the one a
	// tenant without its own choice uses ("": none).
	SMS        map[string]notify.SMSSender
	DefaultSMS string
	// Rules are the emailed and texted codes' rules.
	Rules otp.Rules
	// RP is the passkey relying party; nil: passkeys are off.
	RP *mfawebauthn.RelyingParty
	// Pepper keys the backup codes' hashes and CodeKey the sent codes'
	// (CodeKeys derives both from the master key).
	Pepper, CodeKey []byte

	// SendEmail renders email kind (templates/email) and delivers it to one
	// address before it returns. Nil when no email sender is configured:
	// email codes are off then.
	SendEmail func(ctx context.Context, t *store.Tenant, to, kind string, values map[string]any) error
	// Notify tells u about a change to their account, with the request's
	// when and where added to values. It neither blocks on delivery nor
	// reports a failure: the change it reports stands.
	Notify func(ctx context.Context, t *store.Tenant, u *store.User, kind string, values map[string]any)

	// Checks counts the credential checks performed, by kind ("password",
	// "factor"), each behind a reservation. Throttled counts attempts the
	// sign-in throttle refused, by reason; Locks the accounts and client
	// addresses it locked.
	Checks    *prometheus.CounterVec
	Throttled *prometheus.CounterVec
	Locks     prometheus.Counter
}

// Store is what the service reads and writes.
type Store interface {
	UserByID(ctx context.Context, tenantID, id string) (*store.User, error)

	CreateFactor(ctx context.Context, f *store.Factor) error
	ListFactors(ctx context.Context, tenantID, userID string) ([]*store.Factor, error)
	FactorsByUserHandle(ctx context.Context, tenantID string, handle []byte) ([]*store.Factor, error)
	UpdateFactor(ctx context.Context, f *store.Factor) error
	SetDefaultFactor(ctx context.Context, tenantID, userID, id string) error
	DeleteFactor(ctx context.Context, tenantID, userID, id string) error
	AdvanceTOTPStep(ctx context.Context, tenantID, id string, step int64, now time.Time) error
	AdvanceSignCount(ctx context.Context, tenantID, id string, count uint32, credential []byte, now time.Time) error
	ResetSecondFactors(ctx context.Context, tenantID, userID string) (int64, error)

	CreateOTPChallenge(ctx context.Context, c *store.OTPChallenge) error
	LatestOTPChallenge(ctx context.Context, tenantID, factorID, purpose, binding string) (*store.OTPChallenge, error)
	CountOTPAttempt(ctx context.Context, tenantID, id string, max int) (int, error)
	ConsumeOTPChallenge(ctx context.Context, tenantID, id string, now time.Time) error
	OTPSends(ctx context.Context, tenantID, userID, destination string, since time.Time) (userSends, destinationSends []time.Time, err error)

	ReplaceBackupCodes(ctx context.Context, set *store.BackupCodeSet) error
	BackupCodeSet(ctx context.Context, tenantID, userID string) (*store.BackupCodeSet, error)
	UseBackupCode(ctx context.Context, tenantID, userID string, hash []byte, now time.Time) error

	AdvanceLoginState(ctx context.Context, s *store.LoginState, from string) error
	CountLoginAttempt(ctx context.Context, tenantID, authRequestID string, max int) (int, error)
	ReserveFactorAttempt(ctx context.Context, tenantID, userID string, at, since time.Time, limit int) (int, error)
	RefundFactorAttempt(ctx context.Context, tenantID, userID string, at time.Time) error
	ReserveLoginAttempt(ctx context.Context, tenantID string, rules []store.AttemptRule, now time.Time, quiet time.Duration) (reserved bool, counters []store.LoginCounter, err error)
	RefundLoginAttempt(ctx context.Context, tenantID, key string) error
	ClearLoginFailures(ctx context.Context, tenantID string, keys ...string) (int64, error)

	ListUserSessions(ctx context.Context, tenantID, userID string) ([]*store.Session, error)
	EndSession(ctx context.Context, tenantID, id, reason string, now time.Time) error
	AcknowledgeBackupCodes(ctx context.Context, tenantID, userID, setID string, now time.Time) error
}

// Emails the service sends or asks for (templates/email).
const (
	mailCode           = "code"
	mailFactorAdded    = "factor_added"
	mailFactorRemoved  = "factor_removed"
	mailBackupCodeUsed = "backup_code_used"
	mailAccountLocked  = "account_locked"
)

// CodeKeys derives the HMAC keys of backup codes (pepper) and of sent codes
// from the master key. Stored hashes depend on them: the purposes never
// change.
func CodeKeys(sealer *seal.Sealer) (pepper, codeKey []byte) {
	return sealer.Derive(seal.PurposeCodePepper), sealer.Derive(seal.PurposeCodePepper + "/sent-codes")
}

// RelyingParty is the passkey relying party of a server at publicURL:
// rpID is the host of publicURL when empty, or a registrable suffix of it
// ("example.com" for login.example.com) so passkeys work across its
// subdomains. The error says why there is none (an IP address host:
// browsers refuse those).
func RelyingParty(publicURL, rpID string, rand io.Reader, now func() time.Time) (*mfawebauthn.RelyingParty, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("public URL %q has no host", publicURL)
	}
	if rpID == "" {
		rpID = u.Hostname()
	}
	return mfawebauthn.New(mfawebauthn.Config{
		RPID: rpID, RPDisplayName: "Gatehouse", RPOrigins: []string{u.Scheme + "://" + u.Host},
		Rand: rand, Now: now,
	})
}

// settings are t's current settings (cached for a few seconds), or the
// ones t was loaded with when the cache cannot answer.
func (s *Service) settings(ctx context.Context, t *store.Tenant) store.TenantSettings {
	if cur, err := s.Tenants.ByID(ctx, t.ID); err == nil {
		return cur.Settings
	}
	return t.Settings
}

func (s *Service) audit(ctx context.Context, e *store.AuditEvent) { s.Audit.Record(ctx, e) }
