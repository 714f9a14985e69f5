package webauthn

import (
	"encoding/json"
	"testing"
	"time"
)

func TestSessionJSON(t *testing.T) {
	rp, clk := newTestRP(t)
	_, s, err := rp.BeginLogin(User{Handle: []byte("0123456789abcdef0123456789abcdef"), Name: "a", Credentials: []Credential{{ID: []byte{1, 2, 3}, PublicKey: []byte{4}}}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ceremony", "data", "expires_at"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("session JSON lacks %q: %s", k, data)
		}
	}
	back, err := UnmarshalSession(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Ceremony != CeremonyLogin || back.Data.Challenge != s.Data.Challenge ||
		!back.ExpiresAt.Equal(clk.t.Add(2*time.Minute)) || len(back.Data.AllowedCredentialIDs) != 1 ||
		string(back.Data.UserID) != string(s.Data.UserID) || back.Data.UserVerification != "preferred" {
		t.Fatalf("round trip = %+v, want %+v", back, s)
	}
	if _, err := UnmarshalSession([]byte("not json")); err == nil {
		t.Fatal("UnmarshalSession(garbage): want error")
	}
}
