package webauthn

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/go-webauthn/webauthn/protocol"
)

// enrolled is a user with one registered security key.
type enrolled struct {
	rp   *RelyingParty
	clk  *clock
	user User
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

func enroll(t *testing.T, opts virtualwebauthn.AuthenticatorOptions) *enrolled {
	t.Helper()
	rp, clk := newTestRP(t)
	e := &enrolled{rp: rp, clk: clk, user: newUser(t, "alice@example.com")}
	opts.UserHandle = e.user.Handle // a passkey stores the user handle
	e.auth = virtualwebauthn.NewAuthenticatorWithOptions(opts)
	e.cred = newCredential(t)
	register(t, rp, &e.user, &e.auth, e.cred)
	return e
}

// login runs a second-factor login at counter and stores the result.
func (e *enrolled) login(t *testing.T, counter uint32) (*LoginResult, error) {
	t.Helper()
	options, session, err := e.rp.BeginLogin(e.user)
	if err != nil {
		t.Fatal(err)
	}
	body := assertion(t, testOrigin, e.auth, e.cred, counter, options)
	res, err := e.rp.FinishLogin(e.user, roundTrip(t, session), body)
	if err == nil {
		e.user.Credentials[0] = res.Credential
	}
	return res, err
}

func TestSecondFactorLogin(t *testing.T) {
	e := enroll(t, virtualwebauthn.AuthenticatorOptions{})
	options, session, err := e.rp.BeginLogin(e.user)
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonPath(t, options, "publicKey", "userVerification"); got != "preferred" {
		t.Errorf("userVerification = %v, want preferred", got)
	}
	parsed, err := virtualwebauthn.ParseAssertionOptions(string(options))
	if err != nil {
		t.Fatal(err)
	}
	if len(parsed.AllowCredentials) != 1 || !e.cred.IsAllowedForAssertion(*parsed) {
		t.Fatalf("allowCredentials = %v, want the user's credential", parsed.AllowCredentials)
	}
	if session.Ceremony != CeremonyLogin || !bytes.Equal(session.Data.UserID, e.user.Handle) {
		t.Fatalf("session = %+v", session)
	}

	e.clk.Advance(10 * time.Second)
	body := assertion(t, testOrigin, e.auth, e.cred, 1, options)
	res, err := e.rp.FinishLogin(e.user, roundTrip(t, session), body)
	if err != nil {
		t.Fatalf("FinishLogin: %v", err)
	}
	if !bytes.Equal(res.CredentialID, e.cred.ID) || res.SignCount != 1 || res.Credential.SignCount != 1 {
		t.Fatalf("result = %+v", res)
	}
	if !res.UserVerified || !res.Credential.LastUsedAt.Equal(e.clk.t) || res.Credential.Name != "test key" {
		t.Fatalf("result credential = %+v, UV %v", res.Credential, res.UserVerified)
	}
	e.user.Credentials[0] = res.Credential

	// Counters that advance keep working.
	for _, c := range []uint32{2, 10, 11} {
		if res, err := e.login(t, c); err != nil || res.SignCount != c {
			t.Fatalf("counter %d: %+v, %v", c, res, err)
		}
	}
}

func TestSecondFactorWithoutUserVerification(t *testing.T) {
	// A security key without PIN: fine as a second factor, and reported.
	e := enroll(t, virtualwebauthn.AuthenticatorOptions{UserNotVerified: true})
	res, err := e.login(t, 1)
	if err != nil {
		t.Fatalf("FinishLogin: %v", err)
	}
	if res.UserVerified || res.Credential.UserVerified {
		t.Fatalf("UserVerified = %v / %v, want false", res.UserVerified, res.Credential.UserVerified)
	}
}

func TestBeginLoginNoCredentials(t *testing.T) {
	rp, _ := newTestRP(t)
	if _, _, err := rp.BeginLogin(newUser(t, "new@example.com")); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("err = %v, want ErrNoCredentials", err)
	}
}

func TestDiscoverableLogin(t *testing.T) {
	e := enroll(t, virtualwebauthn.AuthenticatorOptions{BackupEligible: true})
	other := newUser(t, "bob@example.com")

	options, session, err := e.rp.BeginDiscoverableLogin()
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonPath(t, options, "publicKey", "userVerification"); got != "required" {
		t.Errorf("userVerification = %v, want required", got)
	}
	if got := jsonPath(t, options, "publicKey", "allowCredentials"); got != nil {
		t.Errorf("allowCredentials = %v, want none", got)
	}
	if session.Ceremony != CeremonyDiscoverableLogin || len(session.Data.UserID) != 0 {
		t.Fatalf("session = %+v", session)
	}

	// The authenticator now reports the credential as synced (BS=1).
	e.auth.Options.BackupState = true
	body := assertion(t, testOrigin, e.auth, e.cred, 3, options)
	var asked []byte
	lookup := func(ctx context.Context, handle []byte) (User, error) {
		asked = handle
		return lookupIn(other, e.user)(ctx, handle)
	}
	user, res, err := e.rp.FinishDiscoverableLogin(context.Background(), lookup, roundTrip(t, session), body)
	if err != nil {
		t.Fatalf("FinishDiscoverableLogin: %v", err)
	}
	if !bytes.Equal(asked, e.user.Handle) || user.Name != "alice@example.com" {
		t.Fatalf("lookup got %x, returned %q", asked, user.Name)
	}
	if !res.UserVerified || res.SignCount != 3 || !res.Credential.BackupState || !bytes.Equal(res.CredentialID, e.cred.ID) {
		t.Fatalf("result = %+v", res)
	}
}

func TestDiscoverableLoginRefusals(t *testing.T) {
	e := enroll(t, virtualwebauthn.AuthenticatorOptions{})
	begin := func() ([]byte, *Session) {
		o, s, err := e.rp.BeginDiscoverableLogin()
		if err != nil {
			t.Fatal(err)
		}
		return o, s
	}
	ctx := context.Background()

	t.Run("no user verification", func(t *testing.T) {
		o, s := begin()
		auth := e.auth
		auth.Options.UserNotVerified = true
		_, _, err := e.rp.FinishDiscoverableLogin(ctx, lookupIn(e.user), s, assertion(t, testOrigin, auth, e.cred, 1, o))
		if !errors.Is(err, ErrUserNotVerified) {
			t.Fatalf("err = %v, want ErrUserNotVerified", err)
		}
	})
	t.Run("unknown user handle", func(t *testing.T) {
		o, s := begin()
		_, _, err := e.rp.FinishDiscoverableLogin(ctx, lookupIn(newUser(t, "bob@example.com")), s, assertion(t, testOrigin, e.auth, e.cred, 1, o))
		if !errors.Is(err, ErrUnknownUser) || !errors.Is(err, errNoSuchUser) {
			t.Fatalf("err = %v, want ErrUnknownUser wrapping the lookup error", err)
		}
	})
	t.Run("no user handle", func(t *testing.T) {
		o, s := begin()
		auth := e.auth
		auth.Options.UserHandle = nil
		_, _, err := e.rp.FinishDiscoverableLogin(ctx, lookupIn(e.user), s, assertion(t, testOrigin, auth, e.cred, 1, o))
		if !errors.Is(err, ErrUnknownUser) {
			t.Fatalf("err = %v, want ErrUnknownUser", err)
		}
	})
	t.Run("lookup returns a user who does not own the credential", func(t *testing.T) {
		o, s := begin()
		bob := newUser(t, "bob@example.com")
		wrong := func(context.Context, []byte) (User, error) { return bob, nil }
		_, _, err := e.rp.FinishDiscoverableLogin(ctx, wrong, s, assertion(t, testOrigin, e.auth, e.cred, 1, o))
		if !errors.Is(err, ErrUnknownCredential) {
			t.Fatalf("err = %v, want ErrUnknownCredential", err)
		}
	})
	t.Run("lookup returns an owner with another handle", func(t *testing.T) {
		o, s := begin()
		impostor := e.user
		impostor.Handle = bytes.Repeat([]byte{1}, 32)
		wrong := func(context.Context, []byte) (User, error) { return impostor, nil }
		_, _, err := e.rp.FinishDiscoverableLogin(ctx, wrong, s, assertion(t, testOrigin, e.auth, e.cred, 1, o))
		if !errors.Is(err, ErrVerificationFailed) {
			t.Fatalf("err = %v, want ErrVerificationFailed", err)
		}
	})
	t.Run("second-factor session", func(t *testing.T) {
		o, s, err := e.rp.BeginLogin(e.user)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.rp.FinishDiscoverableLogin(ctx, lookupIn(e.user), s, assertion(t, testOrigin, e.auth, e.cred, 1, o))
		if !errors.Is(err, ErrWrongCeremony) {
			t.Fatalf("err = %v, want ErrWrongCeremony", err)
		}
	})
	t.Run("still works", func(t *testing.T) {
		o, s := begin()
		if _, _, err := e.rp.FinishDiscoverableLogin(ctx, lookupIn(e.user), s, assertion(t, testOrigin, e.auth, e.cred, 1, o)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLoginRefusals(t *testing.T) {
	e := enroll(t, virtualwebauthn.AuthenticatorOptions{})
	begin := func() ([]byte, *Session) {
		o, s, err := e.rp.BeginLogin(e.user)
		if err != nil {
			t.Fatal(err)
		}
		return o, s
	}

	t.Run("wrong origin", func(t *testing.T) {
		o, s := begin()
		for _, origin := range []string{"https://evil.example", "http://login.example.com", "https://login.example.com:8443", "https://sub.login.example.com"} {
			_, err := e.rp.FinishLogin(e.user, s, assertion(t, origin, e.auth, e.cred, 1, o))
			if !errors.Is(err, ErrOriginMismatch) {
				t.Errorf("origin %s: err = %v, want ErrOriginMismatch", origin, err)
			}
		}
	})
	t.Run("wrong rp id", func(t *testing.T) {
		o, s := begin()
		parsed, _ := virtualwebauthn.ParseAssertionOptions(string(o))
		wrongRP := virtualwebauthn.RelyingParty{Name: "x", ID: "example.com", Origin: testOrigin}
		body := virtualwebauthn.CreateAssertionResponse(wrongRP, e.auth, e.cred, *parsed)
		if _, err := e.rp.FinishLogin(e.user, s, []byte(body)); !errors.Is(err, ErrVerificationFailed) {
			t.Fatalf("err = %v, want ErrVerificationFailed", err)
		}
	})
	t.Run("answer to another challenge", func(t *testing.T) {
		o1, _ := begin()
		_, s2 := begin()
		if _, err := e.rp.FinishLogin(e.user, s2, assertion(t, testOrigin, e.auth, e.cred, 1, o1)); !errors.Is(err, ErrChallengeMismatch) {
			t.Fatalf("err = %v, want ErrChallengeMismatch", err)
		}
	})
	t.Run("replayed response", func(t *testing.T) {
		// A response captured from a successful login, presented again
		// in a new ceremony, answers the old challenge.
		o, s := begin()
		body := assertion(t, testOrigin, e.auth, e.cred, 0, o)
		if _, err := e.rp.FinishLogin(e.user, s, body); err != nil {
			t.Fatalf("first use: %v", err)
		}
		_, s2 := begin()
		if _, err := e.rp.FinishLogin(e.user, s2, body); !errors.Is(err, ErrChallengeMismatch) {
			t.Fatalf("replay: err = %v, want ErrChallengeMismatch", err)
		}
	})
	t.Run("forged challenge in session", func(t *testing.T) {
		o, s := begin()
		s.Data.Challenge = base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0}, 32))
		if _, err := e.rp.FinishLogin(e.user, s, assertion(t, testOrigin, e.auth, e.cred, 1, o)); !errors.Is(err, ErrChallengeMismatch) {
			t.Fatalf("err = %v, want ErrChallengeMismatch", err)
		}
	})
	t.Run("signed by another key", func(t *testing.T) {
		o, s := begin()
		forged := newCredential(t)
		forged.ID = e.cred.ID
		_, err := e.rp.FinishLogin(e.user, s, assertion(t, testOrigin, e.auth, forged, 1, o))
		var perr *protocol.Error
		if !errors.Is(err, ErrVerificationFailed) || !errors.As(err, &perr) || perr.Type != "invalid_signature" {
			t.Fatalf("err = %v, want ErrVerificationFailed from an invalid signature", err)
		}
	})
	t.Run("credential not the user's", func(t *testing.T) {
		o, s := begin()
		stranger := newCredential(t)
		if _, err := e.rp.FinishLogin(e.user, s, assertion(t, testOrigin, e.auth, stranger, 1, o)); !errors.Is(err, ErrUnknownCredential) {
			t.Fatalf("err = %v, want ErrUnknownCredential", err)
		}
	})
	t.Run("other user with the session", func(t *testing.T) {
		o, s := begin()
		// Bob owns a credential too, but the session was begun for Alice.
		bob := newUser(t, "bob@example.com")
		bobAuth := virtualwebauthn.NewAuthenticator()
		bobCred := newCredential(t)
		register(t, e.rp, &bob, &bobAuth, bobCred)
		if _, err := e.rp.FinishLogin(bob, s, assertion(t, testOrigin, bobAuth, bobCred, 1, o)); !errors.Is(err, ErrVerificationFailed) {
			t.Fatalf("err = %v, want ErrVerificationFailed", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		o, s := begin()
		body := assertion(t, testOrigin, e.auth, e.cred, 1, o)
		e.clk.Advance(2*time.Minute + time.Second)
		defer e.clk.Advance(-2*time.Minute - time.Second)
		if _, err := e.rp.FinishLogin(e.user, s, body); !errors.Is(err, ErrSessionExpired) {
			t.Fatalf("err = %v, want ErrSessionExpired", err)
		}
	})
	t.Run("registration session", func(t *testing.T) {
		o, _ := begin()
		_, rs, err := e.rp.BeginRegistration(e.user)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.rp.FinishLogin(e.user, rs, assertion(t, testOrigin, e.auth, e.cred, 1, o)); !errors.Is(err, ErrWrongCeremony) {
			t.Fatalf("err = %v, want ErrWrongCeremony", err)
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		_, s := begin()
		for _, body := range []string{"", "[]", `{"type":"public-key"}`} {
			if _, err := e.rp.FinishLogin(e.user, s, []byte(body)); !errors.Is(err, ErrMalformedResponse) {
				t.Errorf("body %q: err = %v, want ErrMalformedResponse", body, err)
			}
		}
	})
}

func TestClonedAuthenticator(t *testing.T) {
	tests := []struct {
		name            string
		stored, counter uint32
		flagged         bool
		cloned          bool
	}{
		{"advances", 5, 6, false, false},
		{"same counter", 5, 5, false, true},
		{"counter went back", 5, 3, false, true},
		{"counter reset to zero", 5, 0, false, true},
		{"no counter at all", 0, 0, false, false},
		{"first counter", 0, 1, false, false},
		{"already flagged", 5, 9, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := enroll(t, virtualwebauthn.AuthenticatorOptions{})
			e.user.Credentials[0].SignCount = tt.stored
			e.user.Credentials[0].CloneWarning = tt.flagged
			res, err := e.login(t, tt.counter)
			if !tt.cloned {
				if err != nil || res.SignCount != tt.counter {
					t.Fatalf("login = %+v, %v; want sign count %d", res, err, tt.counter)
				}
				return
			}
			if !errors.Is(err, ErrClonedAuthenticator) || !errors.Is(err, ErrVerificationFailed) || res != nil {
				t.Fatalf("login = %+v, %v; want ErrClonedAuthenticator", res, err)
			}
			var ce *CloneError
			if !errors.As(err, &ce) {
				t.Fatalf("err %T is not a *CloneError", err)
			}
			if !bytes.Equal(ce.CredentialID, e.cred.ID) || ce.StoredCount != tt.stored || ce.AssertedCount != tt.counter || ce.Flagged != tt.flagged {
				t.Fatalf("CloneError = %+v", ce)
			}
		})
	}
}

// TestClonedAuthenticatorSequence: the real authenticator logs in at 7, a
// clone that copied the key at counter 4 then tries 5.
func TestClonedAuthenticatorSequence(t *testing.T) {
	e := enroll(t, virtualwebauthn.AuthenticatorOptions{})
	for _, c := range []uint32{1, 4, 7} {
		if _, err := e.login(t, c); err != nil {
			t.Fatalf("genuine login at %d: %v", c, err)
		}
	}
	if e.user.Credentials[0].SignCount != 7 {
		t.Fatalf("stored count = %d", e.user.Credentials[0].SignCount)
	}
	if _, err := e.login(t, 5); !errors.Is(err, ErrClonedAuthenticator) {
		t.Fatalf("clone at 5: err = %v, want ErrClonedAuthenticator", err)
	}
	if e.user.Credentials[0].SignCount != 7 {
		t.Fatal("a refused login changed the stored count")
	}
}
