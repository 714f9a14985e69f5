package webauthn

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
)

const (
	testRPID   = "login.example.com"
	testOrigin = "https://login.example.com"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestRP(t *testing.T) (*RelyingParty, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	rp, err := New(Config{
		RPID:          testRPID,
		RPDisplayName: "Gatehouse",
		RPOrigins:     []string{testOrigin},
		Timeout:       2 * time.Minute,
		Rand:          rand.Reader,
		Now:           clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return rp, clk
}

// browser is the virtual RP as a browser on origin sees it.
func browser(origin string) virtualwebauthn.RelyingParty {
	return virtualwebauthn.RelyingParty{Name: "Gatehouse", ID: testRPID, Origin: origin}
}

func newUser(t *testing.T, name string) User {
	t.Helper()
	h, err := NewUserHandle(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return User{Handle: h, Name: name, DisplayName: "Test " + name}
}

// roundTrip stores and reloads a session the way idp keeps it in the login
// transaction, so every test also proves the JSON form is complete.
func roundTrip(t *testing.T, s *Session) *Session {
	t.Helper()
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalSession(data)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// register runs a full registration of cred on auth for user and adds the
// result to both.
func register(t *testing.T, rp *RelyingParty, user *User, auth *virtualwebauthn.Authenticator, cred virtualwebauthn.Credential) Credential {
	t.Helper()
	options, session, err := rp.BeginRegistration(*user)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := virtualwebauthn.ParseAttestationOptions(string(options))
	if err != nil {
		t.Fatalf("virtual authenticator rejects options: %v\n%s", err, options)
	}
	resp := virtualwebauthn.CreateAttestationResponse(browser(testOrigin), *auth, cred, *parsed)
	c, err := rp.FinishRegistration(*user, roundTrip(t, session), []byte(resp), "test key")
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	user.Credentials = append(user.Credentials, c)
	auth.AddCredential(cred)
	return c
}

// assertion answers options (from a Begin*Login) with cred at counter, as a
// browser on origin would.
func assertion(t *testing.T, origin string, auth virtualwebauthn.Authenticator, cred virtualwebauthn.Credential, counter uint32, options []byte) []byte {
	t.Helper()
	parsed, err := virtualwebauthn.ParseAssertionOptions(string(options))
	if err != nil {
		t.Fatalf("virtual authenticator rejects options: %v\n%s", err, options)
	}
	cred.Counter = counter
	return []byte(virtualwebauthn.CreateAssertionResponse(browser(origin), auth, cred, *parsed))
}

// jsonPath digs a value out of options JSON, e.g. jsonPath(o, "publicKey", "userVerification").
func jsonPath(t *testing.T, data []byte, path ...string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func lookupIn(users ...User) UserLookup {
	return func(_ context.Context, handle []byte) (User, error) {
		for _, u := range users {
			if bytes.Equal(u.Handle, handle) {
				return u, nil
			}
		}
		return User{}, errNoSuchUser
	}
}

var errNoSuchUser = errors.New("store: no such user")

// newCredential makes a virtual P-256 credential. virtualwebauthn encodes
// the COSE x and y coordinates with big.Int.Bytes(), which drops leading zero
// bytes, and go-webauthn rightly refuses a coordinate shorter than 32 bytes;
// so keys with a zero leading byte in x or y (about 1 in 64) are redrawn.
func newCredential(t *testing.T) virtualwebauthn.Credential {
	t.Helper()
	for {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := key.PublicKey.Bytes() // 0x04 || x (32) || y (32)
		if err != nil {
			t.Fatal(err)
		}
		if pub[1] == 0 || pub[33] == 0 {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, der)
	}
}
