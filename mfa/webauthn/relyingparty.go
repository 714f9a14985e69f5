package webauthn

import (
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// DefaultTimeout is the ceremony timeout when Config.Timeout is zero.
const DefaultTimeout = 5 * time.Minute

// challengeSize is the challenge length in bytes (WebAuthn asks for >= 16).
const challengeSize = 32

// Config describes the relying party. RPID is the registrable host the
// credentials are bound to (e.g. "login.example.com"); RPOrigins are the
// exact origins pages run on (e.g. "https://login.example.com").
type Config struct {
	RPID          string
	RPDisplayName string
	RPOrigins     []string
	// Timeout is how long a ceremony may take, sent to the browser and
	// enforced by Finish; DefaultTimeout when zero.
	Timeout time.Duration
	// Rand is the source of challenges; crypto/rand.Reader when nil.
	Rand io.Reader
	// Now is the clock for Session expiry and timestamps; time.Now when nil.
	Now func() time.Time
}

// RelyingParty runs WebAuthn ceremonies. It is safe for concurrent use when
// Config.Rand is (crypto/rand.Reader is).
type RelyingParty struct {
	wa      *webauthn.WebAuthn
	rand    io.Reader
	now     func() time.Time
	timeout time.Duration
}

// New validates cfg and builds a RelyingParty. Attestation is not requested
// ("none"): Gatehouse does not restrict authenticator models.
func New(cfg Config) (*RelyingParty, error) {
	if cfg.RPID == "" || cfg.RPDisplayName == "" || len(cfg.RPOrigins) == 0 {
		return nil, fmt.Errorf("%w: RPID, RPDisplayName and RPOrigins are required", ErrInvalidConfig)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative Timeout %s", ErrInvalidConfig, cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	timeouts := webauthn.TimeoutConfig{Timeout: cfg.Timeout, TimeoutUVD: cfg.Timeout}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  cfg.RPID,
		RPDisplayName:         cfg.RPDisplayName,
		RPOrigins:             append([]string(nil), cfg.RPOrigins...),
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts:              webauthn.TimeoutsConfig{Login: timeouts, Registration: timeouts},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return &RelyingParty{wa: wa, rand: cfg.Rand, now: cfg.Now, timeout: cfg.Timeout}, nil
}

func (rp *RelyingParty) challenge() (protocol.URLEncodedBase64, error) {
	c := make([]byte, challengeSize)
	if _, err := io.ReadFull(rp.rand, c); err != nil {
		return nil, fmt.Errorf("webauthn: read random challenge: %w", err)
	}
	return c, nil
}
