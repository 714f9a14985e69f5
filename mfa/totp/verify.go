package totp

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// The fixed TOTP parameters (RFC 6238 defaults, what every app supports).
const (
	Period = 30 // seconds per time step
	Digits = 6  // digits per code
	Skew   = 1  // steps accepted either side of the current one
)

var (
	// ErrMalformed reports input that cannot be a code: not exactly Digits
	// ASCII digits once spaces are removed.
	ErrMalformed = errors.New("totp: malformed code")
	// ErrInvalidCode reports a well-formed code that matches no step in the
	// accepted window.
	ErrInvalidCode = errors.New("totp: invalid code")
	// ErrReplayed reports a correct code whose step is not newer than the last
	// accepted step: it was (or an even later one was) already used.
	ErrReplayed = errors.New("totp: code already used")
)

var hotpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Step returns the RFC 6238 time step that t falls in.
func Step(t time.Time) int64 {
	u := t.Unix()
	s := u / Period
	if u < 0 && u%Period != 0 {
		s-- // floor, not truncation, before 1970
	}
	return s
}

// GenerateCode returns the code for the step t falls in. Gatehouse itself
// only verifies; this exists for tests and for tools that play the app.
func GenerateCode(secret []byte, t time.Time) (string, error) {
	if len(secret) < minSecretSize {
		return "", fmt.Errorf("%w: %d bytes, need at least %d", ErrInvalidSecret, len(secret), minSecretSize)
	}
	step := Step(t)
	if step < 0 {
		return "", fmt.Errorf("totp: time %d is before the epoch", t.Unix())
	}
	return codeAt(EncodeSecret(secret), step)
}

func codeAt(b32secret string, step int64) (string, error) {
	code, err := hotp.GenerateCodeCustom(b32secret, uint64(step), hotpOpts)
	if err != nil {
		return "", fmt.Errorf("totp: compute code: %w", err)
	}
	return code, nil
}

// Verify checks code against secret at time now, accepting the current step
// and Skew steps either side. lastStep is the step of the last code accepted
// for this factor (0 if none). It returns the matched step, which the caller
// must store with the atomic "AND last_step < step" update described in the
// package documentation.
//
// Errors: ErrMalformed, ErrInvalidSecret, ErrInvalidCode, ErrReplayed.
//
// Every candidate step is computed and compared in constant time, and the
// result is selected without branching on which one matched, so the time
// taken does not tell which step (if any) a guess hit.
func Verify(secret []byte, code string, now time.Time, lastStep int64) (int64, error) {
	input, ok := normalizeCode(code)
	if !ok {
		return 0, ErrMalformed
	}
	if len(secret) < minSecretSize {
		return 0, fmt.Errorf("%w: %d bytes, need at least %d", ErrInvalidSecret, len(secret), minSecretSize)
	}
	enc := EncodeSecret(secret)
	current := Step(now)

	var (
		anyMatch     int   // 1 if the code matched any candidate step
		accepted     int   // 1 if it matched a step newer than lastStep
		acceptedStep int64 // the highest such step
	)
	for step := current - Skew; step <= current+Skew; step++ {
		want := "------" // never equal to digits; used for steps before the epoch
		if step >= 0 {
			c, err := codeAt(enc, step)
			if err != nil {
				return 0, err
			}
			want = c
		}
		eq := subtle.ConstantTimeCompare([]byte(want), input)
		fresh := 0
		if step > lastStep { // lastStep and step are not secret
			fresh = 1
		}
		take := eq & fresh
		mask := -int64(take) // all ones when take == 1
		acceptedStep = (step & mask) | (acceptedStep &^ mask)
		accepted |= take
		anyMatch |= eq
	}

	switch {
	case accepted == 1:
		return acceptedStep, nil
	case anyMatch == 1:
		return 0, ErrReplayed
	default:
		return 0, ErrInvalidCode
	}
}

// normalizeCode removes spaces (apps display "123 456") and checks that what
// is left is exactly Digits ASCII digits.
func normalizeCode(code string) ([]byte, bool) {
	if len(code) > 3*Digits {
		return nil, false
	}
	out := make([]byte, 0, Digits)
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == ' ':
			continue
		case c >= '0' && c <= '9':
			out = append(out, c)
		default:
			return nil, false
		}
	}
	if len(out) != Digits {
		return nil, false
	}
	return out, true
}
