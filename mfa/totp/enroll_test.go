package totp

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestNewSecret(t *testing.T) {
	src := bytes.NewReader(bytes.Repeat([]byte{0xAB}, 64))
	s, err := NewSecret(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 20 || !bytes.Equal(s, bytes.Repeat([]byte{0xAB}, 20)) {
		t.Fatalf("secret = %x, want 20 bytes read from the reader", s)
	}
	if _, err := NewSecret(bytes.NewReader(make([]byte, 19))); err == nil {
		t.Fatal("short reader: want error")
	}
	if _, err := NewSecret(failingReader{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("failing reader: err = %v, want wrapped io.ErrUnexpectedEOF", err)
	}
}

func TestEncodeDecodeSecret(t *testing.T) {
	if got := EncodeSecret(rfcSecret); got != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Fatalf("EncodeSecret = %s", got)
	}
	// 20 bytes encode to 32 characters: no padding either way.
	if got := EncodeSecret(seqSecret(3)); len(got) != 32 || strings.Contains(got, "=") {
		t.Fatalf("EncodeSecret = %q", got)
	}
	odd := []byte("0123456789abcdef!") // 17 bytes: would need padding
	if got := EncodeSecret(odd); strings.Contains(got, "=") {
		t.Fatalf("EncodeSecret padded: %q", got)
	}

	tests := []struct {
		in   string
		want []byte
		err  error
	}{
		{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", rfcSecret, nil},
		{"gezd gnbv gy3t qojq gezd gnbv gy3t qojq", rfcSecret, nil},
		{"GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ", rfcSecret, nil},
		{EncodeSecret(odd) + "=======", odd, nil},
		{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1", nil, ErrInvalidSecret}, // '1' is not base32
		{"GEZDGNBVGY3TQOJQ", nil, ErrInvalidSecret},                 // 10 bytes: too short
		{"", nil, ErrInvalidSecret},
	}
	for _, tt := range tests {
		got, err := DecodeSecret(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("DecodeSecret(%q) err = %v, want %v", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("DecodeSecret(%q) = %x, %v; want %x", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatSecret(t *testing.T) {
	if got, want := FormatSecret(rfcSecret), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"; got != want {
		t.Fatalf("FormatSecret = %q, want %q", got, want)
	}
	odd := []byte("0123456789abcdef!")
	got := FormatSecret(odd)
	if strings.ReplaceAll(got, " ", "") != EncodeSecret(odd) {
		t.Fatalf("FormatSecret(odd) = %q does not regroup %q", got, EncodeSecret(odd))
	}
	for _, g := range strings.Split(got, " ") {
		if len(g) > 4 || len(g) == 0 {
			t.Fatalf("group %q in %q", g, got)
		}
	}
	back, err := DecodeSecret(got)
	if err != nil || !bytes.Equal(back, odd) {
		t.Fatalf("DecodeSecret(FormatSecret) = %x, %v", back, err)
	}
}

func TestNewKeyURL(t *testing.T) {
	k, err := NewKey("Acme Support", "alice+help@example.com", rfcSecret)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(k.URL())
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" {
		t.Fatalf("URL %s: want otpauth://totp/", k.URL())
	}
	if u.Path != "/Acme Support:alice+help@example.com" {
		t.Fatalf("label = %q", u.Path)
	}
	q := u.Query()
	want := map[string]string{
		"secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "issuer": "Acme Support",
		"digits": "6", "period": "30", "algorithm": "SHA1",
	}
	for key, v := range want {
		if q.Get(key) != v {
			t.Errorf("query %s = %q, want %q (URL %s)", key, q.Get(key), v, k.URL())
		}
	}
	if k.Issuer() != "Acme Support" || k.Account() != "alice+help@example.com" {
		t.Errorf("Issuer/Account = %q/%q", k.Issuer(), k.Account())
	}
	if k.SecretText() != "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ" {
		t.Errorf("SecretText = %q", k.SecretText())
	}
	// The secret the user types by hand verifies.
	typed, err := DecodeSecret(strings.ToLower(k.SecretText()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(typed, "081804", time.Unix(1111111109, 0), 0); err != nil {
		t.Fatalf("code from typed secret: %v", err)
	}
	s := k.Secret()
	s[0] ^= 0xFF
	if !bytes.Equal(k.Secret(), rfcSecret) {
		t.Fatal("Secret() exposes internal storage")
	}
}

func TestNewKeyRefuses(t *testing.T) {
	tests := []struct {
		issuer, account string
		secret          []byte
		want            error
	}{
		{"", "a@example.com", rfcSecret, ErrInvalidLabel},
		{"  ", "a@example.com", rfcSecret, ErrInvalidLabel},
		{"Acme", "", rfcSecret, ErrInvalidLabel},
		{"Acme: EU", "a@example.com", rfcSecret, ErrInvalidLabel},
		{"Acme", "a:b@example.com", rfcSecret, ErrInvalidLabel},
		{"Acme", "a@example.com", rfcSecret[:15], ErrInvalidSecret},
	}
	for _, tt := range tests {
		if _, err := NewKey(tt.issuer, tt.account, tt.secret); !errors.Is(err, tt.want) {
			t.Errorf("NewKey(%q, %q, %d bytes) err = %v, want %v", tt.issuer, tt.account, len(tt.secret), err, tt.want)
		}
	}
}

func TestQRCodePNG(t *testing.T) {
	k, err := NewKey("Acme Support", "alice@example.com", seqSecret(9))
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 300} {
		data, err := k.QRCodePNG(size)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		want := size
		if size == 0 {
			want = DefaultQRSize
		}
		if b := img.Bounds(); b.Dx() != want || b.Dy() != want {
			t.Fatalf("size %d: image is %v", size, b)
		}
		if !hasBlackAndWhite(img) {
			t.Fatal("image is blank")
		}
	}
	if _, err := k.QRCodePNG(10); err == nil {
		t.Fatal("10px cannot hold the QR code: want error")
	}

	// Decode the QR code with an independent reader, when installed.
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Skip("zbarimg not installed (apt-get install zbar-tools); QR content check skipped")
	}
	data, _ := k.QRCodePNG(0)
	file := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zbar, "--quiet", "--raw", file).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != k.URL() {
		t.Fatalf("QR code says %q, want %q", got, k.URL())
	}
}

func hasBlackAndWhite(img image.Image) bool {
	var black, white bool
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			g := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
			black = black || g < 64
			white = white || g > 192
		}
	}
	return black && white
}
