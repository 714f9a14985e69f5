package totp

import (
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SecretSize is the length in bytes of a generated secret: 160 bits, the
// HMAC-SHA1 block recommendation of RFC 4226 §4.
const SecretSize = 20

// minSecretSize is the shortest secret Verify accepts (128 bits, RFC 4226 R6).
const minSecretSize = 16

// ErrInvalidSecret reports a secret that is too short or not valid base32.
var ErrInvalidSecret = errors.New("totp: invalid secret")

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret reads a fresh SecretSize-byte secret from rand, which must be a
// CSPRNG (crypto/rand.Reader in production).
func NewSecret(rand io.Reader) ([]byte, error) {
	secret := make([]byte, SecretSize)
	if _, err := io.ReadFull(rand, secret); err != nil {
		return nil, fmt.Errorf("totp: read random secret: %w", err)
	}
	return secret, nil
}

// EncodeSecret returns the secret as upper-case base32 without padding, the
// form used in otpauth:// URLs.
func EncodeSecret(secret []byte) string {
	return b32.EncodeToString(secret)
}

// DecodeSecret parses base32 as typed by a person or found in an otpauth URL:
// case, spaces, hyphens and trailing padding are ignored.
func DecodeSecret(s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t':
			return -1
		}
		return r
	}, strings.ToUpper(s))
	clean = strings.TrimRight(clean, "=")
	secret, err := b32.DecodeString(clean)
	if err != nil {
		return nil, fmt.Errorf("%w: not base32", ErrInvalidSecret)
	}
	if len(secret) < minSecretSize {
		return nil, fmt.Errorf("%w: %d bytes, need at least %d", ErrInvalidSecret, len(secret), minSecretSize)
	}
	return secret, nil
}

// FormatSecret returns the base32 secret in groups of four characters
// ("JBSW Y3DP EHPK 3PXP ..."), easier to copy by hand into an app.
func FormatSecret(secret []byte) string {
	enc := EncodeSecret(secret)
	var b strings.Builder
	for i := 0; i < len(enc); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(enc[i:min(i+4, len(enc))])
	}
	return b.String()
}
