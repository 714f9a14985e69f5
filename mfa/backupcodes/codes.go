package backupcodes

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Alphabet is the 32 symbols a code is made of: digits 2-9, the letters A-Z
// without I, L and O, and '@' (on the first symbol page of both iOS and
// Android keyboards, and unlike any other symbol here, typed or handwritten).
const Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ@"

const (
	// Count is the number of codes in a set.
	Count = 10
	// Length is the number of symbols in a code (5 bits each: 50 bits).
	Length = 10
)

// ErrMalformed reports input that cannot be a backup code: wrong length, or
// a symbol outside Alphabet (after case folding and dropping spaces and
// hyphens).
var ErrMalformed = errors.New("backupcodes: malformed code")

// symbolIndex maps an upper-case ASCII byte to its index in Alphabet, or -1.
var symbolIndex = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(Alphabet); i++ {
		t[Alphabet[i]] = int8(i)
	}
	return t
}()

// Generate draws a new set of Count distinct codes from rand (crypto/rand in
// production), formatted for display as "XXXXX-XXXXX".
func Generate(rand io.Reader) ([]string, error) {
	codes := make([]string, 0, Count)
	seen := make(map[string]bool, Count)
	buf := make([]byte, Length)
	for draws := 0; len(codes) < Count; draws++ {
		if draws >= 4*Count {
			return nil, errors.New("backupcodes: random source keeps repeating itself")
		}
		if _, err := io.ReadFull(rand, buf); err != nil {
			return nil, fmt.Errorf("backupcodes: read random: %w", err)
		}
		raw := make([]byte, Length)
		for i, b := range buf {
			raw[i] = Alphabet[b&31] // 256 is a multiple of 32: no bias
		}
		if seen[string(raw)] {
			continue
		}
		seen[string(raw)] = true
		codes = append(codes, Format(string(raw)))
	}
	return codes, nil
}

// Normalize turns what a person typed into the canonical code: ASCII
// letters are upper-cased, spaces, tabs and hyphens are dropped, and the
// rest must be exactly Length symbols of Alphabet. Look-alikes are not
// mapped ("O" is not read as "0"): they are ErrMalformed.
func Normalize(input string) (string, error) {
	if len(input) > 4*Length {
		return "", ErrMalformed
	}
	out := make([]byte, 0, Length)
	for i := 0; i < len(input); i++ {
		c := input[i]
		switch {
		case c == ' ' || c == '-' || c == '\t':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		if symbolIndex[c] < 0 {
			return "", ErrMalformed
		}
		out = append(out, c)
	}
	if len(out) != Length {
		return "", ErrMalformed
	}
	return string(out), nil
}

// Format shows a code as "XXXXX-XXXXX". Input that does not normalise is
// returned unchanged.
func Format(code string) string {
	n, err := Normalize(code)
	if err != nil {
		return code
	}
	return n[:Length/2] + "-" + n[Length/2:]
}

// Hash is the stored form of a normalised code: HMAC-SHA256 under pepper, a
// server-side secret of at least 32 random bytes kept outside the database
// (see the package documentation).
func Hash(pepper []byte, normalized string) []byte {
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte(normalized))
	return m.Sum(nil)
}

// Hashes normalises and hashes a freshly generated set for storage, in order.
func Hashes(pepper []byte, codes []string) ([][]byte, error) {
	out := make([][]byte, len(codes))
	for i, c := range codes {
		n, err := Normalize(c)
		if err != nil {
			return nil, fmt.Errorf("backupcodes: code %d of %d: %w", i+1, len(codes), err)
		}
		out[i] = Hash(pepper, n)
	}
	return out, nil
}

// Equal compares two hashes in constant time, for stores that fetch the
// candidate row first.
func Equal(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}

// clean replaces control characters (line breaks included) with spaces so a
// tenant or account name cannot add lines to the downloaded file.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
