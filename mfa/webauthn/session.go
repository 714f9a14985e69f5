package webauthn

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
)

// Ceremony names the kind of ceremony a Session belongs to.
type Ceremony string

const (
	CeremonyRegistration Ceremony = "registration"
	// CeremonyLogin is a login by a known user (second factor).
	CeremonyLogin Ceremony = "login"
	// CeremonyDiscoverableLogin is a passwordless login by an unknown user.
	CeremonyDiscoverableLogin Ceremony = "discoverable_login"
)

// Session is the server-side state of one ceremony, from Begin to Finish.
// It marshals to JSON (encoding/json) for the login transaction. It holds
// no secret, but it is single-use: delete it when Finish is called.
type Session struct {
	Ceremony  Ceremony             `json:"ceremony"`
	Data      webauthn.SessionData `json:"data"`
	ExpiresAt time.Time            `json:"expires_at"`
}

// Marshal is json.Marshal(s), for symmetry with UnmarshalSession.
func (s *Session) Marshal() ([]byte, error) { return json.Marshal(s) }

// UnmarshalSession parses a Session stored with Marshal.
func UnmarshalSession(data []byte) (*Session, error) {
	var s Session
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("webauthn: decode session: %w", err)
	}
	return &s, nil
}

func (rp *RelyingParty) newSession(c Ceremony, data *webauthn.SessionData) *Session {
	return &Session{Ceremony: c, Data: *data, ExpiresAt: rp.now().Add(rp.timeout)}
}

// check refuses a missing session, one of another ceremony, or an expired one.
func (rp *RelyingParty) check(s *Session, want Ceremony) error {
	if s == nil {
		return fmt.Errorf("%w: no session", ErrWrongCeremony)
	}
	if s.Ceremony != want {
		return fmt.Errorf("%w: %q, want %q", ErrWrongCeremony, s.Ceremony, want)
	}
	if !rp.now().Before(s.ExpiresAt) {
		return ErrSessionExpired
	}
	return nil
}

// checkChallenge compares the challenge the browser signed with the
// session's, so a stale or replayed response is reported precisely.
func checkChallenge(s *Session, got string) error {
	if subtle.ConstantTimeCompare([]byte(s.Data.Challenge), []byte(got)) != 1 {
		return ErrChallengeMismatch
	}
	return nil
}
