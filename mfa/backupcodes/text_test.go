package backupcodes

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var sampleCodes = []string{
	"23456-789AB", "CDEFG-HJKMN", "PQRST-UVWXY", "Z@234-56789", "ABCDE-FGHJK",
	"MNPQR-STUVW", "XYZ@2-34567", "89ABC-DEFGH", "JKMNP-QRSTU", "VWXYZ-@2345",
}

func TestTextGolden(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	now := time.Date(2026, 3, 1, 13, 4, 5, 0, berlin) // 12:04 UTC
	got := Text("Acme Support", "alice@example.com", sampleCodes, now)

	golden := filepath.Join("testdata", "backup-codes.txt")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Text differs from %s:\n%s", golden, got)
	}
}

func TestTextContent(t *testing.T) {
	now := time.Date(2026, 12, 31, 23, 30, 0, 0, time.FixedZone("X", -2*3600)) // 2027-01-01 01:30 UTC
	// Codes given in any accepted form are printed formatted.
	codes := append([]string{"abcde fghjk"}, sampleCodes[1:]...)
	text := string(Text("Acme Support", "alice@example.com", codes, now))
	lines := strings.Split(text, "\n")

	if !strings.Contains(lines[0], "Acme Support") || !strings.Contains(text, "alice@example.com") {
		t.Fatalf("heading lacks tenant or account:\n%s", text)
	}
	if !strings.Contains(text, "2027-01-01 01:30 UTC") {
		t.Fatalf("generated time not in UTC:\n%s", text)
	}
	var codeLines []string
	for _, l := range lines {
		if _, err := Normalize(l); err == nil && len(l) == 11 {
			codeLines = append(codeLines, l)
		}
	}
	want := append([]string{"ABCDE-FGHJK"}, sampleCodes[1:]...)
	if strings.Join(codeLines, ",") != strings.Join(want, ",") {
		t.Fatalf("code lines = %v, want %v", codeLines, want)
	}
	for _, phrase := range []string{"works once", "invalidates all of these"} {
		if !strings.Contains(text, phrase) {
			t.Errorf("text lacks %q", phrase)
		}
	}
}

func TestTextCannotBeInjected(t *testing.T) {
	text := string(Text("Acme\nABCDE-FGHJK", "eve@example.com\r\nUNDER-ATTACK", sampleCodes[:1], time.Unix(0, 0)))
	for _, l := range strings.Split(text, "\n") {
		if l == "ABCDE-FGHJK" || strings.HasPrefix(l, "UNDER") {
			t.Fatalf("name added a line %q:\n%s", l, text)
		}
	}
	if strings.Contains(text, "\r") {
		t.Fatal("carriage return passed through")
	}
}
