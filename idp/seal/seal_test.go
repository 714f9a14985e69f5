package seal

import (
	"bytes"
	"errors"
	"testing"
)

func testSealer(t *testing.T, b byte) *Sealer {
	t.Helper()
	s, err := New(bytes.Repeat([]byte{b}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := testSealer(t, 1)
	ct, err := s.Seal(PurposeSigningKey, "tenant-a/key-1", []byte("private key bytes"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("private key bytes")) {
		t.Fatal("plaintext visible in sealed value")
	}
	pt, err := s.Open(PurposeSigningKey, "tenant-a/key-1", ct)
	if err != nil || string(pt) != "private key bytes" {
		t.Fatalf("open: %q %v", pt, err)
	}
}

func TestOpenRefusesWrongContext(t *testing.T) {
	s := testSealer(t, 1)
	ct, _ := s.Seal(PurposeSigningKey, "tenant-a/key-1", []byte("secret"))
	flipped := append([]byte(nil), ct...)
	flipped[len(flipped)-1] ^= 1
	cases := []struct {
		name    string
		sealer  *Sealer
		purpose string
		label   string
		value   []byte
	}{
		{"other master key", testSealer(t, 2), PurposeSigningKey, "tenant-a/key-1", ct},
		{"other purpose", s, PurposeUpstreamSecret, "tenant-a/key-1", ct},
		{"other label (tenant)", s, PurposeSigningKey, "tenant-b/key-1", ct},
		{"tampered", s, PurposeSigningKey, "tenant-a/key-1", flipped},
		{"truncated", s, PurposeSigningKey, "tenant-a/key-1", ct[:10]},
		{"empty", s, PurposeSigningKey, "tenant-a/key-1", nil},
	}
	for _, c := range cases {
		if _, err := c.sealer.Open(c.purpose, c.label, c.value); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: got %v, want ErrOpen", c.name, err)
		}
	}
}

func TestNewRejectsShortKey(t *testing.T) {
	if _, err := New(make([]byte, 16), nil); !errors.Is(err, ErrMasterKey) {
		t.Fatalf("got %v", err)
	}
}

func TestDeriveDiffersByPurpose(t *testing.T) {
	s := testSealer(t, 1)
	if bytes.Equal(s.Derive(PurposeCodePepper), s.Derive(PurposeFactorSecret)) {
		t.Fatal("derived keys for different purposes are equal")
	}
	if !bytes.Equal(s.Derive(PurposeCodePepper), testSealer(t, 1).Derive(PurposeCodePepper)) {
		t.Fatal("derivation not deterministic")
	}
}

func TestHashAndRandom(t *testing.T) {
	a, b := HashToken("x"), HashToken("x")
	if !EqualHash(a, b) || EqualHash(a, HashToken("y")) || len(a) != 32 {
		t.Fatal("HashToken/EqualHash")
	}
	t1, _ := RandomToken(nil, 32)
	t2, _ := RandomToken(nil, 32)
	if t1 == t2 || len(t1) != 43 {
		t.Fatalf("RandomToken: %q %q", t1, t2)
	}
}
