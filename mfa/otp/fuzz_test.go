package otp

import (
	"errors"
	"strings"
	"testing"
)

// FuzzNormalizeCode: whatever a person types, NormalizeCode either refuses it
// with ErrMalformed or returns exactly CodeLength ASCII digits that are the
// input's digits in order once spaces and hyphens are dropped; the result is
// a fixed point. Seeds run with every `go test`; scripts/test.sh fuzzes a
// few seconds more (go test -fuzz=FuzzNormalizeCode).
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "123-456", " 1 2 3 4 5 6 ", "12345", "1234567", "12345a",
		"１２３４５６", "123\t456", "٠١٢٣٤٥", strings.Repeat(" ", 30) + "123456", "--------------------------123456"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := NormalizeCode(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || got != "" {
				t.Fatalf("NormalizeCode(%q) = %q, %v: want \"\", ErrMalformed", in, got, err)
			}
			return
		}
		if len(got) != CodeLength || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("NormalizeCode(%q) = %q: not %d ASCII digits", in, got, CodeLength)
		}
		if kept := strings.NewReplacer(" ", "", "-", "").Replace(in); kept != got {
			t.Fatalf("NormalizeCode(%q) = %q: more than spaces and hyphens were dropped (%q)", in, got, kept)
		}
		if again, err := NormalizeCode(got); err != nil || again != got {
			t.Fatalf("NormalizeCode is not idempotent on %q: %q, %v", got, again, err)
		}
	})
}
