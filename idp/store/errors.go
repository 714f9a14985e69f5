package store

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"strings"
)

var (
	// ErrNotFound: no row with that key in that tenant.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a unique key (slug, email, client id, ...) already exists.
	ErrConflict = errors.New("store: conflict")
	// ErrAlreadyUsed: a single-use value was consumed before (or revoked).
	ErrAlreadyUsed = errors.New("store: already used")
	// ErrExpired: a single-use value exists but its lifetime is over.
	ErrExpired = errors.New("store: expired")
	// ErrOwnerExists: a first-owner setup link was used after the tenant got
	// an owner.
	ErrOwnerExists = errors.New("store: tenant has an owner")
)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewID returns a random 128-bit identifier (26 lowercase base32 characters).
// Identifiers are not secrets; they only need to be unique and unguessable
// enough not to leak counts.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("store: crypto/rand failed: " + err.Error())
	}
	return strings.ToLower(idEncoding.EncodeToString(b[:]))
}
