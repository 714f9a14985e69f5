package webauthn

import (
	"fmt"
	"io"

	"github.com/go-webauthn/webauthn/webauthn"
)

// UserHandleSize is the length of a user handle: random, so it reveals
// nothing about the user (WebAuthn §14.6.1), well inside the 64-byte limit.
const UserHandleSize = 32

// NewUserHandle draws a user handle from rand (crypto/rand in production).
// Create it once per user, store it, and never derive it from the email.
func NewUserHandle(rand io.Reader) ([]byte, error) {
	h := make([]byte, UserHandleSize)
	if _, err := io.ReadFull(rand, h); err != nil {
		return nil, fmt.Errorf("webauthn: read random user handle: %w", err)
	}
	return h, nil
}

// User is the account as the authenticator sees it. It implements
// go-webauthn's webauthn.User.
type User struct {
	// Handle is the user's random user handle (NewUserHandle).
	Handle []byte
	// Name is the account identifier shown in the passkey picker, e.g. the email.
	Name string
	// DisplayName is the person's name, e.g. "Alice Example".
	DisplayName string
	// Credentials are the user's registered credentials.
	Credentials []Credential
}

var _ webauthn.User = User{}

// WebAuthnID returns the user handle.
func (u User) WebAuthnID() []byte { return u.Handle }

// WebAuthnName returns Name.
func (u User) WebAuthnName() string { return u.Name }

// WebAuthnDisplayName returns DisplayName, or Name when it is empty.
func (u User) WebAuthnDisplayName() string {
	if u.DisplayName == "" {
		return u.Name
	}
	return u.DisplayName
}

// WebAuthnCredentials returns the credentials in go-webauthn's form.
func (u User) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, len(u.Credentials))
	for i, c := range u.Credentials {
		out[i] = c.WebAuthn()
	}
	return out
}

func (u User) credential(id []byte) (Credential, bool) {
	for _, c := range u.Credentials {
		if string(c.ID) == string(id) {
			return c, true
		}
	}
	return Credential{}, false
}
