package backupcodes

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
)

func TestAlphabet(t *testing.T) {
	if len(Alphabet) != 32 {
		t.Fatalf("len(Alphabet) = %d", len(Alphabet))
	}
	seen := map[rune]bool{}
	for _, r := range Alphabet {
		if seen[r] {
			t.Fatalf("%q twice", r)
		}
		seen[r] = true
		if strings.ContainsRune("0O1IL", r) || (r >= 'a' && r <= 'z') {
			t.Fatalf("confusable or lower-case symbol %q", r)
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	src := make([]byte, 0, Count*Length)
	for i := 0; i < Count*Length; i++ {
		src = append(src, byte(i)) // 0..99: code k uses symbols 10k..10k+9 (mod 32)
	}
	codes, err := Generate(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if codes[0] != "23456-789AB" || codes[1] != "CDEFG-HJKMN" || codes[3] != "Z@234-56789" {
		t.Fatalf("codes = %v", codes)
	}
	// Only the low 5 bits of each byte are used.
	hi := bytes.Repeat([]byte{0xFF, 0xE0}, 5)
	rest := make([]byte, (Count-1)*Length)
	for i := range rest {
		rest[i] = byte(i + 1)
	}
	codes, err = Generate(io.MultiReader(bytes.NewReader(hi), bytes.NewReader(rest)))
	if err != nil {
		t.Fatal(err)
	}
	if codes[0] != "@2@2@-2@2@2" {
		t.Fatalf("codes[0] = %q", codes[0])
	}
}

func TestGenerateRandom(t *testing.T) {
	shape := regexp.MustCompile(`^[23456789ABCDEFGHJKMNPQRSTUVWXYZ@]{5}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ@]{5}$`)
	codes, err := Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != Count {
		t.Fatalf("%d codes", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !shape.MatchString(c) {
			t.Fatalf("code %q has the wrong shape", c)
		}
		if seen[c] {
			t.Fatalf("duplicate %q", c)
		}
		seen[c] = true
		if n, err := Normalize(c); err != nil || Format(n) != c {
			t.Fatalf("Normalize(%q) = %q, %v", c, n, err)
		}
	}
}

func TestGenerateSkipsDuplicates(t *testing.T) {
	same := bytes.Repeat([]byte{7}, Length)
	var src []byte
	src = append(src, same...)
	src = append(src, same...) // duplicate of the first code: redrawn
	for i := 1; i < Count; i++ {
		src = append(src, bytes.Repeat([]byte{byte(7 + i)}, Length)...)
	}
	codes, err := Generate(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if codes[0] != "99999-99999" || codes[1] != "AAAAA-AAAAA" || codes[9] != "JJJJJ-JJJJJ" {
		t.Fatalf("codes = %v", codes)
	}

	stuck := bytes.Repeat([]byte{3}, 100*Length)
	if _, err := Generate(bytes.NewReader(stuck)); err == nil {
		t.Fatal("reader that repeats itself: want error")
	}
	if _, err := Generate(bytes.NewReader(make([]byte, 15))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short reader: err = %v", err)
	}
}

// TestSymbolDistribution: with crypto/rand every symbol of the alphabet
// appears about equally often (chi-square, 31 degrees of freedom).
func TestSymbolDistribution(t *testing.T) {
	counts := map[rune]int{}
	const sets = 2000
	for range sets {
		codes, err := Generate(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range codes {
			for _, r := range strings.ReplaceAll(c, "-", "") {
				counts[r]++
			}
		}
	}
	if len(counts) != 32 {
		t.Fatalf("%d distinct symbols seen", len(counts))
	}
	e := float64(sets*Count*Length) / 32
	chi := 0.0
	for _, k := range counts {
		chi += (float64(k) - e) * (float64(k) - e) / e
	}
	if chi > 70 { // p < 0.0001 for 31 d.o.f.
		t.Fatalf("chi-square %.1f: %v", chi, counts)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"ABCDE-FGHJK", "ABCDEFGHJK", nil},
		{"abcde-fghjk", "ABCDEFGHJK", nil},
		{"ABCDEFGHJK", "ABCDEFGHJK", nil},
		{"  abcde fghjk ", "ABCDEFGHJK", nil},
		{"ab-cd-ef-gh-jk", "ABCDEFGHJK", nil},
		{"a b c d e\tf g h j k", "ABCDEFGHJK", nil},
		{"2345@-789AB", "2345@789AB", nil},
		{"ABCDE-FGHJ0", "", ErrMalformed}, // zero
		{"ABCDE-FGHJO", "", ErrMalformed}, // letter O
		{"ABCDE-FGHJ1", "", ErrMalformed}, // one
		{"ABCDE-FGHJI", "", ErrMalformed}, // letter I
		{"ABCDE-FGHJL", "", ErrMalformed}, // letter L
		{"abcde-fghjl", "", ErrMalformed}, // lower-case l is not guessed as 1
		{"ABCDE-FGHJ", "", ErrMalformed},  // 9 symbols
		{"ABCDE-FGHJKM", "", ErrMalformed},
		{"ABCDE_FGHJK", "", ErrMalformed},
		{"ABCDE.FGHJK", "", ErrMalformed},
		{"ÀBCDE-FGHJK", "", ErrMalformed},
		{"", "", ErrMalformed},
		{strings.Repeat("-", 40) + "ABCDEFGHJK", "", ErrMalformed},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ABCDEFGHJK", "ABCDE-FGHJK"},
		{"abcde fghjk", "ABCDE-FGHJK"},
		{"not a code", "not a code"},
	}
	for _, tt := range tests {
		if got := Format(tt.in); got != tt.want {
			t.Errorf("Format(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHash(t *testing.T) {
	pepper := []byte("pepper: 32 bytes kept off the db")
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte("ABCDEFGHJK"))
	if !bytes.Equal(Hash(pepper, "ABCDEFGHJK"), m.Sum(nil)) {
		t.Fatal("Hash is not HMAC-SHA256(pepper, code)")
	}
	if Equal(Hash(pepper, "ABCDEFGHJK"), Hash([]byte("another pepper, also 32 bytes..."), "ABCDEFGHJK")) {
		t.Fatal("hash does not depend on the pepper")
	}

	hs, err := Hashes(pepper, []string{"ABCDE-FGHJK", "abcde fghjk", "23456-789AB"})
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(hs[0], Hash(pepper, "ABCDEFGHJK")) || !Equal(hs[0], hs[1]) || Equal(hs[0], hs[2]) {
		t.Fatal("Hashes does not hash the normalised form")
	}
	// What the user later types, normalised, finds the stored hash.
	typed, _ := Normalize("23456 789ab")
	if !Equal(Hash(pepper, typed), hs[2]) {
		t.Fatal("typed code does not match its stored hash")
	}

	_, err = Hashes(pepper, []string{"ABCDE-FGHJK", "ABCDE-FGHJ0"})
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "code 2 of 2") || strings.Contains(err.Error(), "FGHJ0") {
		t.Fatalf("Hashes(malformed) err = %v", err)
	}
}

func TestEqual(t *testing.T) {
	a := Hash([]byte("k"), "ABCDEFGHJK")
	if !Equal(a, bytes.Clone(a)) || Equal(a, a[:31]) || Equal(a, nil) || Equal(a, Hash([]byte("k"), "ABCDEFGHJM")) {
		t.Fatal("Equal is wrong")
	}
}
