package webauthn

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol"
)

func TestNew(t *testing.T) {
	good := Config{RPID: testRPID, RPDisplayName: "Gatehouse", RPOrigins: []string{testOrigin}}
	if _, err := New(good); err != nil {
		t.Fatalf("New(good) = %v", err)
	}
	tests := []struct {
		name string
		mod  func(*Config)
	}{
		{"no RPID", func(c *Config) { c.RPID = "" }},
		{"no display name", func(c *Config) { c.RPDisplayName = "" }},
		{"no origins", func(c *Config) { c.RPOrigins = nil }},
		{"RPID is a URL", func(c *Config) { c.RPID = "https://login.example.com" }},
		{"RPID is an IP", func(c *Config) { c.RPID = "192.0.2.1" }},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }},
	}
	for _, tt := range tests {
		c := good
		c.RPOrigins = append([]string(nil), good.RPOrigins...)
		tt.mod(&c)
		if _, err := New(c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: err = %v, want ErrInvalidConfig", tt.name, err)
		}
	}
}

func TestNewUserHandle(t *testing.T) {
	h, err := NewUserHandle(bytes.NewReader(bytes.Repeat([]byte{9}, 40)))
	if err != nil || !bytes.Equal(h, bytes.Repeat([]byte{9}, 32)) {
		t.Fatalf("NewUserHandle = %x, %v", h, err)
	}
	if _, err := NewUserHandle(bytes.NewReader(make([]byte, 31))); err == nil {
		t.Fatal("short reader: want error")
	}
}

func TestRegistration(t *testing.T) {
	rp, clk := newTestRP(t)
	user := newUser(t, "alice@example.com")
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{BackupEligible: true, BackupState: true})
	cred := newCredential(t)

	options, session, err := rp.BeginRegistration(user)
	if err != nil {
		t.Fatal(err)
	}
	// What the browser is asked for.
	pk := func(path ...string) any { return jsonPath(t, options, append([]string{"publicKey"}, path...)...) }
	if got := pk("rp", "id"); got != testRPID {
		t.Errorf("rp.id = %v", got)
	}
	if got := pk("user", "id"); got != base64.RawURLEncoding.EncodeToString(user.Handle) {
		t.Errorf("user.id = %v, want the random handle", got)
	}
	if got := pk("user", "name"); got != "alice@example.com" {
		t.Errorf("user.name = %v", got)
	}
	if got := pk("authenticatorSelection", "residentKey"); got != "preferred" {
		t.Errorf("residentKey = %v, want preferred", got)
	}
	if got := pk("authenticatorSelection", "userVerification"); got != "preferred" {
		t.Errorf("userVerification = %v, want preferred", got)
	}
	if got := pk("attestation"); got != nil && got != "none" {
		t.Errorf("attestation = %v, want none", got)
	}
	if got := pk("timeout"); got != float64(120000) {
		t.Errorf("timeout = %v, want 120000", got)
	}
	if session.Ceremony != CeremonyRegistration || !session.ExpiresAt.Equal(clk.t.Add(2*time.Minute)) {
		t.Errorf("session = %+v", session)
	}

	parsed, err := virtualwebauthn.ParseAttestationOptions(string(options))
	if err != nil {
		t.Fatal(err)
	}
	body := virtualwebauthn.CreateAttestationResponse(browser(testOrigin), auth, cred, *parsed)
	clk.Advance(30 * time.Second)
	got, err := rp.FinishRegistration(user, roundTrip(t, session), []byte(body), "Phone")
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	if !bytes.Equal(got.ID, cred.ID) {
		t.Errorf("ID = %x, want %x", got.ID, cred.ID)
	}
	if len(got.PublicKey) == 0 || got.SignCount != 0 || got.CloneWarning {
		t.Errorf("credential = %+v", got)
	}
	if !bytes.Equal(got.AAGUID, auth.Aaguid[:]) {
		t.Errorf("AAGUID = %x, want %x", got.AAGUID, auth.Aaguid)
	}
	if !got.UserVerified || !got.BackupEligible || !got.BackupState {
		t.Errorf("flags UV/BE/BS = %v/%v/%v, want all true", got.UserVerified, got.BackupEligible, got.BackupState)
	}
	if got.AttestationFormat != "packed" || got.Name != "Phone" || !got.CreatedAt.Equal(clk.t) {
		t.Errorf("format/name/created = %q/%q/%v", got.AttestationFormat, got.Name, got.CreatedAt)
	}

	// A second registration excludes the first credential.
	user.Credentials = append(user.Credentials, got)
	options2, session2, err := rp.BeginRegistration(user)
	if err != nil {
		t.Fatal(err)
	}
	parsed2, _ := virtualwebauthn.ParseAttestationOptions(string(options2))
	if len(parsed2.ExcludeCredentials) != 1 || !cred.IsExcludedForAttestation(*parsed2) {
		t.Fatalf("excludeCredentials = %v, want the registered credential", parsed2.ExcludeCredentials)
	}
	// An authenticator that ignores excludeCredentials is refused anyway.
	dup := virtualwebauthn.CreateAttestationResponse(browser(testOrigin), auth, cred, *parsed2)
	if _, err := rp.FinishRegistration(user, session2, []byte(dup), "again"); !errors.Is(err, ErrCredentialExists) {
		t.Fatalf("duplicate registration: err = %v, want ErrCredentialExists", err)
	}
}

func TestRegistrationUsesInjectedRandomness(t *testing.T) {
	challenge := bytes.Repeat([]byte{0x5A}, 32)
	rp, err := New(Config{RPID: testRPID, RPDisplayName: "Gatehouse", RPOrigins: []string{testOrigin}, Rand: bytes.NewReader(challenge)})
	if err != nil {
		t.Fatal(err)
	}
	options, session, err := rp.BeginRegistration(newUser(t, "bob@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	want := base64.RawURLEncoding.EncodeToString(challenge)
	if got := jsonPath(t, options, "publicKey", "challenge"); got != want || session.Data.Challenge != want {
		t.Fatalf("challenge = %v / %v, want %s", got, session.Data.Challenge, want)
	}
	if _, _, err := rp.BeginRegistration(newUser(t, "carol@example.com")); err == nil {
		t.Fatal("exhausted random source: want error")
	}
}

func TestRegistrationRefusals(t *testing.T) {
	rp, clk := newTestRP(t)
	user := newUser(t, "alice@example.com")
	auth := virtualwebauthn.NewAuthenticator()
	cred := newCredential(t)

	begin := func() ([]byte, *Session) {
		options, session, err := rp.BeginRegistration(user)
		if err != nil {
			t.Fatal(err)
		}
		return options, session
	}
	respond := func(origin string, options []byte) []byte {
		parsed, err := virtualwebauthn.ParseAttestationOptions(string(options))
		if err != nil {
			t.Fatal(err)
		}
		return []byte(virtualwebauthn.CreateAttestationResponse(browser(origin), auth, cred, *parsed))
	}

	t.Run("wrong origin", func(t *testing.T) {
		o, s := begin()
		_, err := rp.FinishRegistration(user, s, respond("https://login.example.com.evil.test", o), "x")
		if !errors.Is(err, ErrOriginMismatch) || !errors.Is(err, ErrVerificationFailed) {
			t.Fatalf("err = %v, want ErrOriginMismatch", err)
		}
	})
	t.Run("answer to another challenge", func(t *testing.T) {
		o1, _ := begin()
		_, s2 := begin()
		if _, err := rp.FinishRegistration(user, s2, respond(testOrigin, o1), "x"); !errors.Is(err, ErrChallengeMismatch) {
			t.Fatalf("err = %v, want ErrChallengeMismatch", err)
		}
	})
	t.Run("other user's session", func(t *testing.T) {
		o, s := begin()
		mallory := newUser(t, "mallory@example.com")
		if _, err := rp.FinishRegistration(mallory, s, respond(testOrigin, o), "x"); !errors.Is(err, ErrVerificationFailed) {
			t.Fatalf("err = %v, want ErrVerificationFailed", err)
		}
	})
	t.Run("login session", func(t *testing.T) {
		o, _ := begin()
		_, ls, err := rp.BeginDiscoverableLogin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rp.FinishRegistration(user, ls, respond(testOrigin, o), "x"); !errors.Is(err, ErrWrongCeremony) {
			t.Fatalf("err = %v, want ErrWrongCeremony", err)
		}
		if _, err := rp.FinishRegistration(user, nil, respond(testOrigin, o), "x"); !errors.Is(err, ErrWrongCeremony) {
			t.Fatalf("nil session: err = %v, want ErrWrongCeremony", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		o, s := begin()
		body := respond(testOrigin, o)
		clk.Advance(2 * time.Minute)
		defer clk.Advance(-2 * time.Minute)
		if _, err := rp.FinishRegistration(user, s, body, "x"); !errors.Is(err, ErrSessionExpired) {
			t.Fatalf("err = %v, want ErrSessionExpired", err)
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		_, s := begin()
		for _, body := range []string{"", "{}", "not json", `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{}}`} {
			if _, err := rp.FinishRegistration(user, s, []byte(body), "x"); !errors.Is(err, ErrMalformedResponse) {
				t.Errorf("body %q: err = %v, want ErrMalformedResponse", body, err)
			}
		}
	})
	t.Run("tampered attestation signature", func(t *testing.T) {
		o, s := begin()
		body := tamperAttestationSignature(t, respond(testOrigin, o))
		_, err := rp.FinishRegistration(user, s, body, "x")
		if !errors.Is(err, ErrVerificationFailed) || errors.Is(err, ErrMalformedResponse) {
			t.Fatalf("err = %v, want ErrVerificationFailed", err)
		}
		var perr *protocol.Error
		if !errors.As(err, &perr) {
			t.Fatalf("go-webauthn error not kept in the chain: %v", err)
		}
		t.Logf("refused: %v (%s)", err, perr.DevInfo)
	})
	t.Run("still works after all that", func(t *testing.T) {
		o, s := begin()
		if _, err := rp.FinishRegistration(user, s, respond(testOrigin, o), "x"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCredentialConversion(t *testing.T) {
	c := Credential{
		ID: []byte{1, 2, 3}, PublicKey: []byte{4, 5}, AttestationType: "none", AttestationFormat: "packed",
		AAGUID: bytes.Repeat([]byte{7}, 16), SignCount: 42, CloneWarning: true, Transports: []string{"usb", "nfc"},
		BackupEligible: true, BackupState: false, UserVerified: true, Name: "Key", CreatedAt: time.Unix(100, 0).UTC(),
	}
	wc := c.WebAuthn()
	if !wc.Flags.UserPresent || !wc.Flags.UserVerified || !wc.Flags.BackupEligible || wc.Flags.BackupState {
		t.Fatalf("flags = %+v", wc.Flags)
	}
	if wc.Authenticator.SignCount != 42 || !wc.Authenticator.CloneWarning || string(wc.Transport[1]) != "nfc" {
		t.Fatalf("webauthn credential = %+v", wc)
	}
	back := CredentialFromWebAuthn(wc, "Key", c.CreatedAt)
	if string(back.ID) != string(c.ID) || string(back.PublicKey) != string(c.PublicKey) || string(back.AAGUID) != string(c.AAGUID) ||
		back.SignCount != 42 || !back.CloneWarning || back.AttestationType != "none" || back.AttestationFormat != "packed" ||
		strings.Join(back.Transports, ",") != "usb,nfc" || !back.BackupEligible || back.BackupState || !back.UserVerified ||
		back.Name != "Key" || !back.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("round trip = %+v, want %+v", back, c)
	}
	// The conversion copies: changing the library value does not change ours.
	wc.ID[0] = 99
	if c.ID[0] != 1 {
		t.Fatal("WebAuthn() shares the ID slice")
	}
}

// tamperAttestationSignature flips one bit of attStmt.sig inside the
// attestation object of a registration response.
func tamperAttestationSignature(t *testing.T, body []byte) []byte {
	t.Helper()
	var msg map[string]any
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatal(err)
	}
	resp := msg["response"].(map[string]any)
	raw, err := base64.RawURLEncoding.DecodeString(resp["attestationObject"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := cbor.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	stmt := obj["attStmt"].(map[any]any)
	sig := stmt["sig"].([]byte)
	sig[len(sig)/2] ^= 0x01
	raw, err = cbor.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	resp["attestationObject"] = base64.RawURLEncoding.EncodeToString(raw)
	out, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
