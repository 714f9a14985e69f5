package backupcodes

import (
	"errors"
	"strings"
	"testing"
)

// FuzzNormalize: Normalize either refuses input with ErrMalformed or returns
// exactly Length symbols of Alphabet that are the input's symbols in order,
// upper-cased, once spaces, tabs and hyphens are dropped; look-alikes are
// never mapped; Format and Normalize round-trip. Seeds run with every
// `go test`; scripts/test.sh fuzzes a few seconds more.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"ABCDE-FGHJK", "abcde fghjk", "ABCDEFGHJK", "ABCDE-FGHJ0", "O0OOO-IIIII", "22222\t33333",
		"ＡBCDE-FGHJK", "@@@@@-@@@@@", "ABCDE-FGHJKL", "", strings.Repeat("-", 30) + "ABCDEFGHJK"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Normalize(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || got != "" {
				t.Fatalf("Normalize(%q) = %q, %v: want \"\", ErrMalformed", in, got, err)
			}
			return
		}
		if len(got) != Length {
			t.Fatalf("Normalize(%q) = %q: length %d, want %d", in, got, len(got), Length)
		}
		for i := 0; i < len(got); i++ {
			if !strings.ContainsRune(Alphabet, rune(got[i])) {
				t.Fatalf("Normalize(%q) = %q: %q is not in the alphabet", in, got, got[i])
			}
		}
		kept := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(in))
		if kept != got {
			t.Fatalf("Normalize(%q) = %q: more than separators were dropped or changed (%q)", in, got, kept)
		}
		if again, err := Normalize(Format(got)); err != nil || again != got {
			t.Fatalf("Format/Normalize round trip of %q gave %q, %v", got, again, err)
		}
	})
}
