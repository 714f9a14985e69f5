package factors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/password"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	mfawebauthn "github.com/gatehouse-idp/gatehouse/mfa/webauthn"
)

// One atomic throttle. Every check of a password or a second-factor code
// (and of a passkey assertion as a second factor) goes through
// VerifyThrottled: the attempt is reserved in the database first, by a
// conditional statement that refuses past the limit, then the credential is
// checked, then the reservation is settled (taken back or cleared when the
// credential was right, kept as a failure when not). So N parallel guesses
// perform at most as many checks as the limits admit, on every replica.
//
// The checking functions (Hasher.Verify, checkTOTP, checkSentCode,
// useBackupCode, RP.FinishLogin) are called only from the credentials'
// verifyNow methods, and verifyNow only from VerifyThrottled; both are
// unexported, and TestCredentialChecksGoThroughTheGuard enforces both over
// the module's source. Service.Checks counts the checks.

// Guard is a counter set an attempt is reserved against: SignInGuard and
// AccountGuard (passwords and the reset form's codes), FactorGuard (second
// factors).
type Guard interface {
	// reserve admits the attempt or refuses it with a *ThrottledError
	// (already counted and audited); any other error means the counters
	// could not be read or written (fail closed: no check).
	reserve(ctx context.Context, s *Service) error
	// settle ends a reserved attempt: ok when the credential was right.
	settle(ctx context.Context, s *Service, ok bool)
}

// Credential is one password, code or passkey assertion to check:
// PasswordCredential, CodeCredential, PasskeyCredential.
type Credential interface {
	// kind labels the check metric: "password" or "factor".
	kind() string
	// verifyNow checks it; only VerifyThrottled may call it.
	verifyNow(ctx context.Context, s *Service) error
}

// ErrThrottleUnavailable wraps a failure of the counters' store: nothing
// was checked.
var ErrThrottleUnavailable = errors.New("brute-force counters unavailable")

// ThrottledError is an attempt refused by a limit before any check.
type ThrottledError struct {
	Reason string // audit and metric reason: backoff, locked, exhausted
	msg    string // the sentence for the page
	retry  time.Duration
}

func (e *ThrottledError) Error() string  { return e.msg }
func (e *ThrottledError) Public() string { return e.msg }

// RetryAfter is the Retry-After header value in whole seconds (at least 1).
func (e *ThrottledError) RetryAfter() string {
	return fmt.Sprint(max(1, int((e.retry+time.Second-1)/time.Second)))
}

// VerifyThrottled reserves an attempt against g, checks c, and settles.
// The error is c's, a *ThrottledError, or wraps ErrThrottleUnavailable.
func (s *Service) VerifyThrottled(ctx context.Context, g Guard, c Credential) error {
	if err := g.reserve(ctx, s); err != nil {
		return err
	}
	s.Checks.WithLabelValues(c.kind()).Inc()
	err := c.verifyNow(ctx, s)
	g.settle(ctx, s, err == nil)
	return err
}

// PasswordCredential is a typed password against a stored hash ("" for an
// unknown account or one without a password: the same work, and a
// refusal).
type PasswordCredential struct{ Hash, Password string }

func (PasswordCredential) kind() string { return "password" }

func (c PasswordCredential) verifyNow(ctx context.Context, s *Service) error {
	if len(c.Password) > policy.CeilingMaxLength { // longer than any password policy admits
		return password.ErrMismatch
	}
	return s.Hasher.Verify(ctx, c.Hash, policy.NormalizePassword(c.Password))
}

// CodeCredential is a typed code: tried against each factor in turn (TOTP,
// or a code sent for (Purpose, Binding)), then as a backup code when Backup
// is set. After a successful check Used is the factor that matched, or
// UsedBackup is set.
type CodeCredential struct {
	Tenant           *store.Tenant
	User             *store.User
	Factors          []*store.Factor
	Backup           bool
	Purpose, Binding string
	Code             string

	Used       *store.Factor
	UsedBackup bool
}

func (*CodeCredential) kind() string { return "factor" }

func (c *CodeCredential) verifyNow(ctx context.Context, s *Service) error {
	var err error = ErrCodeWrong
	for _, f := range c.Factors {
		if err = s.checkFactorCode(ctx, c.Tenant, c.User, f, c.Purpose, c.Binding, c.Code); err == nil {
			c.Used = f
			return nil
		}
	}
	if c.Backup {
		if err = s.useBackupCode(ctx, c.Tenant, c.User, c.Code); err == nil {
			c.UsedBackup = true
		}
	}
	return err
}

// PasskeyCredential is a WebAuthn assertion answering a second-factor (or
// linking proof) ceremony; Service.PasskeyCredential builds it.
type PasskeyCredential struct {
	wu     mfawebauthn.User
	byCred map[string]*store.Factor
	sess   *mfawebauthn.Session
	body   []byte
}

// PasskeyCredential loads u's passkeys for checking the assertion body
// against ceremony sess (before any attempt is reserved).
func (s *Service) PasskeyCredential(ctx context.Context, tenantID string, u *store.User, sess *mfawebauthn.Session, body []byte) (*PasskeyCredential, error) {
	wu, byCred, err := s.webauthnUser(ctx, tenantID, u)
	if err != nil {
		return nil, err
	}
	return &PasskeyCredential{wu: wu, byCred: byCred, sess: sess, body: body}, nil
}

func (*PasskeyCredential) kind() string { return "factor" }

func (c *PasskeyCredential) verifyNow(ctx context.Context, s *Service) error {
	res, err := s.RP.FinishLogin(c.wu, c.sess, c.body)
	if err != nil {
		return err
	}
	return s.storeAssertion(ctx, c.byCred[string(res.CredentialID)], res)
}
