package federation

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
)

func TestRandomValuesComeFromTheInjectedReader(t *testing.T) {
	zeros := bytes.NewReader(make([]byte, 3*secretBytes))
	state, err := NewState(zeros)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("A", 43); state != want {
		t.Fatalf("state = %q, want %q", state, want)
	}
	nonce, err := NewNonce(zeros)
	if err != nil || nonce != state {
		t.Fatalf("nonce = %q, %v", nonce, err)
	}
	pk, err := NewPKCE(zeros)
	if err != nil {
		t.Fatal(err)
	}
	if pk.Method != "S256" || pk.Challenge != S256Challenge(pk.Verifier) || CheckPKCEVerifier(pk.Verifier) != nil {
		t.Fatalf("bad PKCE %+v", pk)
	}
	if _, err := NewState(zeros); err == nil {
		t.Fatal("exhausted reader: want error")
	}
	if _, err := NewPKCE(iotest.ErrReader(errors.New("boom"))); err == nil {
		t.Fatal("failing reader: want error")
	}
	if _, err := NewNonce(nil); err == nil {
		t.Fatal("nil reader: want error")
	}
}

func TestS256ChallengeMatchesRFC7636AppendixB(t *testing.T) {
	got := S256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
	if want := "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"; got != want {
		t.Fatalf("challenge = %q, want %q", got, want)
	}
}

func TestCheckLoginParams(t *testing.T) {
	good := strings.Repeat("a", 43)
	cases := []struct {
		name, state, nonce, verifier string
		ok                           bool
	}{
		{"ok", good, good, good, true},
		{"short state", "abc", good, good, false},
		{"empty nonce", good, "", good, false},
		{"short verifier", good, good, strings.Repeat("a", 42), false},
		{"long verifier", good, good, strings.Repeat("a", 129), false},
		{"verifier charset", good, good, strings.Repeat("a", 42) + "+", false},
	}
	for _, c := range cases {
		err := CheckLoginParams(c.state, c.nonce, c.verifier)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
}

func TestParseCallback(t *testing.T) {
	const state = "state-0123456789abcdef"
	cases := []struct {
		name     string
		query    url.Values
		wantCode string
		wantErr  error
		upstream string
	}{
		{"code", url.Values{"state": {state}, "code": {"c0de"}}, "c0de", nil, ""},
		{"wrong state", url.Values{"state": {"other"}, "code": {"c0de"}}, "", ErrStateMismatch, ""},
		{"no state", url.Values{"code": {"c0de"}}, "", ErrStateMismatch, ""},
		{"error with wrong state is a state mismatch", url.Values{"state": {"x"}, "error": {"access_denied"}}, "", ErrStateMismatch, ""},
		{"upstream error", url.Values{"state": {state}, "error": {"access_denied"}, "error_description": {"user said no"}}, "", nil, "access_denied"},
		{"nothing", url.Values{"state": {state}}, "", ErrInvalidCallback, ""},
	}
	for _, c := range cases {
		code, err := ParseCallback(c.query, state)
		if code != c.wantCode {
			t.Errorf("%s: code = %q", c.name, code)
		}
		if c.upstream != "" {
			var ue *UpstreamError
			if !errors.As(err, &ue) || ue.Code != c.upstream {
				t.Errorf("%s: err = %v, want UpstreamError %s", c.name, err, c.upstream)
			}
			continue
		}
		if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.wantErr)
		}
	}
	if ParseCallbackStateless := StatesEqual("", ""); ParseCallbackStateless {
		t.Error("empty states must never match")
	}
}

func TestUpstreamErrorTextIsCleaned(t *testing.T) {
	q := url.Values{
		"state":             {"s-0123456789abcdef"},
		"error":             {"access_denied\n"},
		"error_description": {"line1\r\nFAKE LOG LINE " + strings.Repeat("é", 300)},
	}
	_, err := ParseCallback(q, "s-0123456789abcdef")
	var ue *UpstreamError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v", err)
	}
	if strings.ContainsAny(ue.Error(), "\r\n") {
		t.Fatalf("control characters survived: %q", ue.Error())
	}
	if len(ue.Description) > 210 || !strings.HasSuffix(ue.Description, "…") {
		t.Fatalf("description not truncated: %d bytes", len(ue.Description))
	}
	if msg := PublicMessage(err); strings.Contains(msg, "FAKE") || !strings.Contains(msg, "cancelled") {
		t.Fatalf("public message %q must be generic", msg)
	}
}

func TestPublicMessageIsGenericPerError(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{ErrUpstreamUnavailable, "not reachable"},
		{ErrDomainNotAllowed, "organization is not allowed"},
		{ErrTenantNotAllowed, "organization is not allowed"},
		{ErrNonceMissing, "expired or was already used"},
		{ErrStateMismatch, "expired or was already used"},
		{ErrTokenInvalid, "could not verify"},
		{&UpstreamError{Code: "server_error"}, "could not complete"},
		{ErrInvalidConfig, "misconfigured"},
	}
	for _, c := range cases {
		if got := PublicMessage(c.err); !strings.Contains(got, c.want) {
			t.Errorf("PublicMessage(%v) = %q, want it to contain %q", c.err, got, c.want)
		}
	}
}
