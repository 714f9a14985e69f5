package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Purposes of derived keys.
const (
	PurposeSigningKey     = "gatehouse/signing-key/v1"
	PurposeUpstreamSecret = "gatehouse/upstream-secret/v1"
	PurposeFactorSecret   = "gatehouse/factor-secret/v1"
	PurposeCodePepper     = "gatehouse/code-pepper/v1"
)

const version byte = 1

var (
	// ErrOpen: the ciphertext is not authentic under this key, purpose and label.
	ErrOpen = errors.New("seal: cannot open sealed value")
	// ErrMasterKey: the master key is not 32 bytes.
	ErrMasterKey = errors.New("seal: master key must be 32 bytes")
)

// Sealer seals and opens values under keys derived from the master key.
type Sealer struct {
	master []byte
	rand   io.Reader

	mu    sync.Mutex
	aeads map[string]cipher.AEAD
}

// New returns a Sealer for a 32-byte master key; rnd supplies nonces
// (crypto/rand when nil).
func New(master []byte, rnd io.Reader) (*Sealer, error) {
	if len(master) != 32 {
		return nil, ErrMasterKey
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	return &Sealer{master: append([]byte(nil), master...), rand: rnd, aeads: map[string]cipher.AEAD{}}, nil
}

// Derive returns a 32-byte key for purpose (for HMAC peppers and the like).
func (s *Sealer) Derive(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, s.master, nil, purpose, 32)
	if err != nil { // only for lengths hkdf cannot produce
		panic(err)
	}
	return k
}

func (s *Sealer) aead(purpose string) (cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.aeads[purpose]; ok {
		return a, nil
	}
	block, err := aes.NewCipher(s.Derive(purpose))
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s.aeads[purpose] = a
	return a, nil
}

// Seal encrypts plaintext for purpose, binding label (e.g. tenant and key id).
func (s *Sealer) Seal(purpose, label string, plaintext []byte) ([]byte, error) {
	a, err := s.aead(purpose)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+a.NonceSize(), 1+a.NonceSize()+len(plaintext)+a.Overhead())
	out[0] = version
	if _, err := io.ReadFull(s.rand, out[1:]); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return a.Seal(out, out[1:1+a.NonceSize()], plaintext, []byte(label)), nil
}

// Open decrypts a value sealed with the same purpose and label.
func (s *Sealer) Open(purpose, label string, sealed []byte) ([]byte, error) {
	a, err := s.aead(purpose)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+a.NonceSize()+a.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	nonce := sealed[1 : 1+a.NonceSize()]
	pt, err := a.Open(nil, nonce, sealed[1+a.NonceSize():], []byte(label))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// HashToken is the stored form of a high-entropy secret (client secret,
// authorization code, refresh token, link token): SHA-256.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// EqualHash compares two hashes in constant time.
func EqualHash(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// HMAC returns HMAC-SHA256(key, msg), for low-entropy codes hashed under a pepper.
func HMAC(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// RandomToken returns n random bytes from rnd (crypto/rand when nil), base64url
// without padding. 32 bytes make a 256-bit token.
func RandomToken(rnd io.Reader, n int) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return "", fmt.Errorf("seal: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
