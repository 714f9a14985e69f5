package totp

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"strings"

	"github.com/pquerna/otp"
	pqtotp "github.com/pquerna/otp/totp"
)

// ErrInvalidLabel reports an issuer or account name that cannot be put in an
// otpauth:// label: empty, or containing a colon (the label separator).
var ErrInvalidLabel = errors.New("totp: invalid issuer or account name")

// DefaultQRSize is the edge in pixels of the enrollment QR code.
const DefaultQRSize = 256

// Key is the enrollment material shown once to a user who adds an
// authenticator app: a QR code of URL, or SecretText typed by hand.
type Key struct {
	key    *otp.Key
	secret []byte
}

// NewKey builds the enrollment material for secret. issuer is the tenant's
// display name (apps show it as the entry's title), account the user's email.
func NewKey(issuer, account string, secret []byte) (*Key, error) {
	for _, v := range []string{issuer, account} {
		if strings.TrimSpace(v) == "" || strings.Contains(v, ":") {
			return nil, ErrInvalidLabel
		}
	}
	if len(secret) < minSecretSize {
		return nil, fmt.Errorf("%w: %d bytes, need at least %d", ErrInvalidSecret, len(secret), minSecretSize)
	}
	k, err := pqtotp.Generate(pqtotp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      Period,
		Secret:      secret,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("totp: build key: %w", err)
	}
	return &Key{key: k, secret: bytes.Clone(secret)}, nil
}

// URL is the otpauth://totp/... URI an authenticator app scans.
func (k *Key) URL() string { return k.key.URL() }

// Issuer is the issuer the URL carries.
func (k *Key) Issuer() string { return k.key.Issuer() }

// Account is the account name the URL carries.
func (k *Key) Account() string { return k.key.AccountName() }

// Secret returns a copy of the raw secret, for the store to seal.
func (k *Key) Secret() []byte { return bytes.Clone(k.secret) }

// SecretText is the base32 secret grouped in fours, for manual entry.
func (k *Key) SecretText() string { return FormatSecret(k.secret) }

// QRCodePNG renders URL as a size×size PNG QR code, rendered server-side so
// the secret never goes to a third-party QR service. size <= 0 means
// DefaultQRSize.
func (k *Key) QRCodePNG(size int) ([]byte, error) {
	if size <= 0 {
		size = DefaultQRSize
	}
	img, err := k.key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("totp: render qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("totp: encode qr png: %w", err)
	}
	return buf.Bytes(), nil
}
