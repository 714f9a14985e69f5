package device

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
)

// idBytes is the entropy of a device id: 256 bits, 43 base64url characters.
const idBytes = 32

// IDLen is the length of a device id string: 32 bytes in unpadded base64url.
const IDLen = (idBytes*8 + 5) / 6

// NewDeviceID returns a fresh device cookie value: 32 bytes from r (crypto/rand.Reader
// if nil) as unpadded base64url. It panics if r fails, as crypto/rand does: a random
// source that cannot produce 32 bytes leaves nothing safe to return.
func NewDeviceID(r io.Reader) string {
	if r == nil {
		r = rand.Reader
	}
	var b [idBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		panic(fmt.Sprintf("device: reading random source: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidDeviceID reports whether id has the shape NewDeviceID produces. Check a cookie
// with it before hashing, so junk cookies are treated as "no device" without a lookup.
func ValidDeviceID(id string) bool {
	if len(id) != IDLen {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(id)
	return err == nil && len(b) == idBytes
}

// HashDeviceID is what the database stores instead of the id: SHA-256 of the id string.
// A plain hash suffices (no salt, no KDF) because the id is 256 random bits, not a
// password; lookups stay a single indexed equality.
func HashDeviceID(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	return sum[:]
}
