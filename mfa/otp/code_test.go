package otp

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
)

// words is a reader that returns the given uint32 values big-endian, in order.
func words(vs ...uint32) io.Reader {
	var b bytes.Buffer
	for _, v := range vs {
		binary.Write(&b, binary.BigEndian, v)
	}
	return &b
}

func TestNewCodeDeterministic(t *testing.T) {
	tests := []struct {
		name string
		in   io.Reader
		want string
	}{
		{"zero keeps leading zeros", words(0), "000000"},
		{"small", words(42), "000042"},
		{"modulo", words(1_234_567), "234567"},
		{"largest accepted", words(rejectAbove - 1), "999999"},
		{"rejected then accepted", words(rejectAbove, 7), "000007"},
		{"max uint32 rejected", words(0xFFFFFFFF, 0xFFFFFFFF, 123456), "123456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewCode(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("NewCode = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if rejectAbove != 4_294_000_000 {
		t.Fatalf("rejectAbove = %d", rejectAbove)
	}
}

func TestNewCodeErrors(t *testing.T) {
	if _, err := NewCode(bytes.NewReader([]byte{1, 2})); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short reader: err = %v", err)
	}
	stuck := make([]uint32, maxDraws)
	for i := range stuck {
		stuck[i] = 0xFFFFFFFF
	}
	if _, err := NewCode(words(stuck...)); err == nil {
		t.Fatal("reader that only returns rejected values: want error")
	}
}

// TestNewCodeDistribution is a sanity check on crypto/rand output: every
// code is 6 ASCII digits, each digit position takes all 10 values with
// roughly equal frequency (chi-square, 9 degrees of freedom), and codes with
// a leading zero occur about 10% of the time.
func TestNewCodeDistribution(t *testing.T) {
	const n = 50_000
	var counts [CodeLength][10]int
	leadingZero := 0
	for range n {
		c, err := NewCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != CodeLength {
			t.Fatalf("code %q has length %d", c, len(c))
		}
		for i := 0; i < CodeLength; i++ {
			d := c[i] - '0'
			if d > 9 {
				t.Fatalf("code %q has a non-digit", c)
			}
			counts[i][d]++
		}
		if c[0] == '0' {
			leadingZero++
		}
	}
	for pos, cs := range counts {
		chi := 0.0
		for _, k := range cs {
			e := float64(n) / 10
			chi += (float64(k) - e) * (float64(k) - e) / e
		}
		// p = 0.0001 critical value for 9 d.o.f. is 33.7: a false alarm
		// about once in 10 000 runs per position.
		if chi > 33.7 {
			t.Errorf("digit position %d: chi-square %.1f, counts %v", pos, chi, cs)
		}
	}
	if leadingZero < n/10-1000 || leadingZero > n/10+1000 {
		t.Errorf("leading zeros in %d of %d codes, want about %d", leadingZero, n, n/10)
	}
}

func TestNormalizeCode(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"123456", "123456", nil},
		{"012345", "012345", nil},
		{" 123 456 ", "123456", nil},
		{"123-456", "123456", nil},
		{"", "", ErrMalformed},
		{"12345", "", ErrMalformed},
		{"1234567", "", ErrMalformed},
		{"12345a", "", ErrMalformed},
		{"１２３４５６", "", ErrMalformed},
		{"123456\n", "", ErrMalformed},
		{strings.Repeat(" ", 30) + "123456", "", ErrMalformed},
	}
	for _, tt := range tests {
		got, err := NormalizeCode(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestHash(t *testing.T) {
	key := []byte("server-side key, 32 bytes long!!")
	m := hmac.New(sha256.New, key)
	m.Write([]byte("123456"))
	if got, want := hex.EncodeToString(Hash(key, "123456")), hex.EncodeToString(m.Sum(nil)); got != want {
		t.Fatalf("Hash = %s, want HMAC-SHA256 %s", got, want)
	}
	// RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
	if got := hex.EncodeToString(Hash([]byte("Jefe"), "what do ya want for nothing?")); got != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Fatalf("Hash RFC 4231 #2 = %s", got)
	}
	if Equal(Hash(key, "123456"), Hash([]byte("another key, also 32 bytes long!"), "123456")) {
		t.Fatal("hash does not depend on the key")
	}
	if Equal(Hash(key, "123456"), Hash(key, "123457")) {
		t.Fatal("hash does not depend on the code")
	}
}

func TestEqual(t *testing.T) {
	a := Hash([]byte("k"), "000000")
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"same", bytes.Clone(a), true},
		{"last byte differs", append(bytes.Clone(a[:31]), a[31]^1), false},
		{"prefix", a[:16], false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		if got := Equal(a, tt.b); got != tt.want {
			t.Errorf("%s: Equal = %v", tt.name, got)
		}
	}
}
