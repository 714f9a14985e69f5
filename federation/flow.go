package federation

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
)

// secretBytes is the entropy of every state, nonce and PKCE verifier:
// 256 bits, 43 base64url characters.
const secretBytes = 32

// minStateLen is the shortest state or nonce LoginURL accepts (~96 bits).
const minStateLen = 16

// NewState returns a fresh OAuth state value read from rnd (crypto/rand.Reader
// in production). The idp stores it in the login transaction and compares
// it on the callback (ParseCallback); single use is the idp's job.
func NewState(rnd io.Reader) (string, error) { return randomToken(rnd) }

// NewNonce returns a fresh OpenID nonce read from rnd; Exchange checks that
// the ID token carries it.
func NewNonce(rnd io.Reader) (string, error) { return randomToken(rnd) }

// PKCE is an RFC 7636 verifier and its S256 challenge.
type PKCE struct {
	Verifier  string
	Challenge string
	Method    string // always "S256"
}

// NewPKCE returns a fresh S256 verifier/challenge pair read from rnd. Keep
// Verifier server-side; the connector derives the challenge itself.
func NewPKCE(rnd io.Reader) (PKCE, error) {
	v, err := randomToken(rnd)
	if err != nil {
		return PKCE{}, err
	}
	return PKCE{Verifier: v, Challenge: S256Challenge(v), Method: "S256"}, nil
}

// S256Challenge is BASE64URL(SHA256(verifier)) without padding.
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomToken(rnd io.Reader) (string, error) {
	if rnd == nil {
		return "", errors.New("federation: no random source")
	}
	b := make([]byte, secretBytes)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return "", fmt.Errorf("federation: reading random source: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// CheckPKCEVerifier enforces RFC 7636 §4.1: 43 to 128 characters from
// [A-Za-z0-9-._~].
func CheckPKCEVerifier(v string) error {
	if len(v) < 43 || len(v) > 128 {
		return errors.New("federation: PKCE verifier must be 43 to 128 characters")
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
		if !ok {
			return errors.New("federation: PKCE verifier has a character outside [A-Za-z0-9-._~]")
		}
	}
	return nil
}

// CheckLoginParams is what every connector's LoginURL checks before it
// builds a URL.
func CheckLoginParams(state, nonce, pkceVerifier string) error {
	if len(state) < minStateLen {
		return fmt.Errorf("federation: state must be at least %d characters", minStateLen)
	}
	if len(nonce) < minStateLen {
		return fmt.Errorf("federation: nonce must be at least %d characters", minStateLen)
	}
	return CheckPKCEVerifier(pkceVerifier)
}

// StatesEqual compares two state (or nonce) values in constant time. Empty
// values never match.
func StatesEqual(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// ParseCallback reads the upstream's redirect back to Gatehouse (the query
// of .../login/federated/{connection_id}/callback). It checks state first —
// a callback that does not carry this login's state is refused even if it
// reports an error — then returns *UpstreamError for error=..., or the
// code. The idp must still make the login transaction single-use.
func ParseCallback(query url.Values, expectedState string) (code string, err error) {
	if !StatesEqual(query.Get("state"), expectedState) {
		return "", ErrStateMismatch
	}
	if e := query.Get("error"); e != "" {
		return "", newUpstreamError(e, query.Get("error_description"))
	}
	code = query.Get("code")
	if code == "" {
		return "", fmt.Errorf("%w: no code and no error", ErrInvalidCallback)
	}
	return code, nil
}
