package totp

import (
	"strings"
	"testing"
	"time"
)

// FuzzVerifyInput: whatever is typed, normalizeCode accepts only exactly
// Digits ASCII digits (spaces dropped), and Verify never panics and never
// accepts a code that normalizeCode refuses. Seeds run with every `go test`.
func FuzzVerifyInput(f *testing.F) {
	for _, s := range []string{"123456", "123 456", " 1 2 3 4 5 6", "12345", "1234567", "12345x", "１２３４５６", "123-456", ""} {
		f.Add(s)
	}
	secret := []byte("0123456789abcdefghij") // 20 bytes, the RFC 6238 test secret
	now := time.Unix(1_700_000_000, 0)
	if valid, err := GenerateCode(secret, now); err == nil { // the accepting branch has a seed too
		f.Add(valid)
		f.Add(valid[:3] + " " + valid[3:])
	}
	f.Fuzz(func(t *testing.T, in string) {
		norm, ok := normalizeCode(in)
		if ok {
			if len(norm) != Digits || strings.Trim(string(norm), "0123456789") != "" || string(norm) != strings.ReplaceAll(in, " ", "") {
				t.Fatalf("normalizeCode(%q) = %q: not the input's %d digits", in, norm, Digits)
			}
		}
		step, err := Verify(secret, in, now, 0)
		if err == nil {
			if !ok {
				t.Fatalf("Verify accepted %q, which does not normalise", in)
			}
			if want, _ := GenerateCode(secret, time.Unix(step*Period, 0)); want != string(norm) {
				t.Fatalf("Verify accepted %q for step %d whose code is %s", in, step, want)
			}
		}
	})
}
