package idp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	mfawebauthn "github.com/gatehouse-idp/gatehouse/mfa/webauthn"
)

// One atomic throttle. Every check of a password or a second-factor code
// (and of a passkey assertion as a second factor) goes through
// verifyThrottled: the attempt is reserved in the database first, by a
// conditional statement that refuses past the limit, then the credential is
// checked, then the reservation is settled (taken back or cleared when the
// credential was right, kept as a failure when not). So N parallel guesses
// perform at most as many checks as the limits admit, on every replica.
//
// The checking functions (hasher.Verify, checkTOTP, checkSentCode,
// useBackupCode, FinishLogin) are called only from the credentials'
// verifyNow methods, and verifyNow only from verifyThrottled;
// TestCredentialChecksGoThroughTheGuard enforces both over the package's
// source. gatehouse_credential_verifications_total counts the checks.

// attemptGuard is a counter set an attempt is reserved against.
type attemptGuard interface {
	// reserve admits the attempt or refuses it with a *throttledError
	// (already counted and audited); any other error means the counters
	// could not be read or written (fail closed: no check).
	reserve(ctx context.Context, s *Server) error
	// settle ends a reserved attempt: ok when the credential was right.
	settle(ctx context.Context, s *Server, ok bool)
}

// credential is one password or code to check.
type credential interface {
	// kind labels the verification metric: "password" or "factor".
	kind() string
	// verifyNow checks it; only verifyThrottled may call it.
	verifyNow(ctx context.Context, s *Server) error
}

// errThrottleUnavailable wraps a failure of the counters' store.
var errThrottleUnavailable = errors.New("brute-force counters unavailable")

// throttledError is an attempt refused by a limit before any check.
type throttledError struct {
	reason string // audit and metric reason: backoff, locked, exhausted
	msg    string // the sentence for the page
	retry  time.Duration
}

func (e *throttledError) Error() string { return e.msg }

// retryAfter is the Retry-After header value in whole seconds (at least 1).
func (e *throttledError) retryAfter() string {
	return fmt.Sprint(max(1, int((e.retry+time.Second-1)/time.Second)))
}

// verifyThrottled reserves an attempt against g, checks c, and settles.
// The error is c's, a *throttledError, or wraps errThrottleUnavailable.
func (s *Server) verifyThrottled(ctx context.Context, g attemptGuard, c credential) error {
	if err := g.reserve(ctx, s); err != nil {
		return err
	}
	s.metrics.verifications.WithLabelValues(c.kind()).Inc()
	err := c.verifyNow(ctx, s)
	g.settle(ctx, s, err == nil)
	return err
}

// passwordCredential is a typed password against a stored hash ("" for
// an unknown account or one without a password: the same work, and a
// refusal).
type passwordCredential struct{ hash, password string }

func (passwordCredential) kind() string { return "password" }

func (c passwordCredential) verifyNow(ctx context.Context, s *Server) error {
	if len(c.password) > maxPasswordLen {
		return errWrongPassword
	}
	return s.hasher.Verify(ctx, c.hash, policy.NormalizePassword(c.password))
}

// codeCredential is a typed code: tried against each factor in turn (TOTP,
// or a code sent for (purpose, binding)), then as a backup code when backup
// is set. used reports what matched (nil factor with usedBackup).
type codeCredential struct {
	t                *store.Tenant
	u                *store.User
	factors          []*store.Factor
	backup           bool
	purpose, binding string
	code             string

	used       *store.Factor
	usedBackup bool
}

func (*codeCredential) kind() string { return "factor" }

func (c *codeCredential) verifyNow(ctx context.Context, s *Server) error {
	var err error = errCodeWrong
	for _, f := range c.factors {
		if err = s.checkFactorCode(ctx, c.t, c.u, f, c.purpose, c.binding, c.code); err == nil {
			c.used = f
			return nil
		}
	}
	if c.backup {
		if err = s.useBackupCode(ctx, c.t, c.u, c.code); err == nil {
			c.usedBackup = true
		}
	}
	return err
}

// passkeyCredential is a WebAuthn assertion answering a login ceremony.
type passkeyCredential struct {
	t      *store.Tenant
	wu     mfawebauthn.User
	byCred map[string]*store.Factor
	sess   *mfawebauthn.Session
	body   []byte
}

func (passkeyCredential) kind() string { return "factor" }

func (c passkeyCredential) verifyNow(ctx context.Context, s *Server) error {
	res, err := s.mfa.rp.FinishLogin(c.wu, c.sess, c.body)
	if err != nil {
		return err
	}
	return s.storeAssertion(ctx, c.byCred[string(res.CredentialID)], res)
}
