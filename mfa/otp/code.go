package otp

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// CodeLength is the number of decimal digits in a code.
const CodeLength = 6

const (
	codeSpace = 1_000_000 // 10^CodeLength
	// rejectAbove is the largest multiple of codeSpace that fits in a uint32;
	// values at or above it are redrawn so every code is equally likely.
	rejectAbove = (1 << 32) / codeSpace * codeSpace
	// maxDraws bounds the redraws; a CSPRNG needs more than one about once in
	// 4 400 codes, so reaching this means the reader is broken.
	maxDraws = 32
)

var (
	// ErrMalformed reports input that cannot be a code.
	ErrMalformed = errors.New("otp: malformed code")
	// ErrInvalidCode reports a well-formed code that does not match.
	ErrInvalidCode = errors.New("otp: invalid code")
	// ErrExpired reports a code checked after Rules.TTL.
	ErrExpired = errors.New("otp: code expired")
	// ErrTooManyAttempts reports a challenge that used up Rules.MaxAttempts.
	ErrTooManyAttempts = errors.New("otp: too many attempts")
)

// NewCode draws a uniformly random code of CodeLength decimal digits (leading
// zeros included) from rand, which must be a CSPRNG in production. It uses
// rejection sampling, not a bare modulo, so no code is more likely than another.
func NewCode(rand io.Reader) (string, error) {
	var buf [4]byte
	for range maxDraws {
		if _, err := io.ReadFull(rand, buf[:]); err != nil {
			return "", fmt.Errorf("otp: read random code: %w", err)
		}
		v := binary.BigEndian.Uint32(buf[:])
		if v < rejectAbove {
			return fmt.Sprintf("%0*d", CodeLength, v%codeSpace), nil
		}
	}
	return "", errors.New("otp: random source keeps returning out-of-range values")
}

// NormalizeCode turns what a person typed into the canonical code: spaces
// and hyphens are dropped ("123 456", "123-456"); what is left must be
// exactly CodeLength ASCII digits, or ErrMalformed.
func NormalizeCode(input string) (string, error) {
	if len(input) > 4*CodeLength {
		return "", ErrMalformed
	}
	out := make([]byte, 0, CodeLength)
	for i := 0; i < len(input); i++ {
		switch c := input[i]; {
		case c == ' ' || c == '-':
		case c >= '0' && c <= '9':
			out = append(out, c)
		default:
			return "", ErrMalformed
		}
	}
	if len(out) != CodeLength {
		return "", ErrMalformed
	}
	return string(out), nil
}

// Hash is the stored form of a code: HMAC-SHA256 under key, a server-side
// secret of at least 32 random bytes kept outside the database. code should
// be canonical (see NormalizeCode).
func Hash(key []byte, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(code))
	return m.Sum(nil)
}

// Equal compares two hashes in constant time.
func Equal(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}
