package idp

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite/sqlitetest"
	"github.com/gatehouse-idp/gatehouse/mfa/otp"
)

func TestACRDemandsMFA(t *testing.T) {
	for _, tc := range []struct {
		values []string
		have   string
		want   bool
	}{
		{nil, policy.ACRPassword, false},
		{[]string{policy.ACRPassword}, policy.ACRPassword, false},
		{[]string{policy.ACRMFA}, policy.ACRPassword, true},
		{[]string{policy.ACRMFA}, policy.ACRMFA, false},
		{[]string{policy.ACRPhishingResistant}, policy.ACRMFA, true},
		{[]string{policy.ACRMFA}, policy.ACRPhishingResistant, false},
		{[]string{"urn:other:gold"}, policy.ACRPassword, false}, // values we do not issue are wishes
		{[]string{"urn:other:gold", policy.ACRMFA}, "", true},
	} {
		if got := acrDemandsMFA(tc.values, tc.have); got != tc.want {
			t.Errorf("acrDemandsMFA(%v, %q) = %v, want %v", tc.values, tc.have, got, tc.want)
		}
	}
}

func TestEncodeMethodsRoundTrip(t *testing.T) {
	ms := []policy.Method{policy.MethodFederated, policy.MethodUpstreamMFA}
	up := []string{"pwd", "mfa"}
	enc := encodeMethods(ms, up)
	gotM, gotUp := decodeMethods(enc)
	if !slices.Equal(gotM, ms) || !slices.Equal(gotUp, up) {
		t.Fatalf("round trip: %v %v from %v", gotM, gotUp, enc)
	}
	if m, u := decodeMethods(nil); m != nil || u != nil {
		t.Fatal("empty round trip")
	}
}

func TestNetworkLocation(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.77":          "net:203.0.113.0/24",
		"::ffff:203.0.113.77":   "net:203.0.113.0/24",
		"2001:db8:1:2::7":       "net:2001:db8:1::/48",
		"2001:db8:1:ffff::ab%x": "net:2001:db8:1::/48",
	} {
		key, _ := networkLocation(netip.MustParseAddr(in))
		if key != want {
			t.Errorf("networkLocation(%s) = %q, want %q", in, key, want)
		}
	}
	if key, _ := networkLocation(netip.Addr{}); key != "" {
		t.Errorf("invalid address keyed %q", key)
	}
}

func newTestServer(t *testing.T, o Options) *Server {
	t.Helper()
	sealer, err := seal.New(make([]byte, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Sealer, o.PublicURL = sealer, "https://login.example.com"
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewRefusesBadMFAOptions(t *testing.T) {
	sealer, _ := seal.New(make([]byte, 32), nil)
	if _, err := New(Options{Sealer: sealer, PublicURL: "https://x.test", DefaultSMSProvider: "twilio"}); err == nil {
		t.Fatal("a default SMS provider that is not configured was accepted")
	}
	bad := otp.DefaultRules()
	bad.MaxAttempts = 0
	if _, err := New(Options{Sealer: sealer, PublicURL: "https://x.test", OTPRules: &bad}); err == nil {
		t.Fatal("invalid OTP rules accepted")
	}
	// An IP public URL has no passkeys, and says why.
	s := newTestServer(t, Options{})
	s2, err := New(Options{Sealer: s.sealer, PublicURL: "https://127.0.0.1:8443"})
	if err != nil || s2.factors.RP != nil {
		t.Fatalf("IP RP id: rp %v err %v", s2.factors.RP, err)
	}
}

// TestResetMFANotifies: an admin reset tells the user by email.
func TestResetMFANotifies(t *testing.T) {
	out := notify.NewOutbox(0, nil)
	st := sqlitetest.Open(t)
	s := newTestServer(t, Options{Store: st, EmailSender: out})
	ctx := t.Context()
	tn, err := s.Manage().CreateTenant(ctx, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Manage().CreateUser(ctx, tn, manage.UserSpec{Email: "a@acme.test", Role: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateFactor(ctx, &store.Factor{ID: "f1", TenantID: tn.ID, UserID: u.ID, Kind: store.FactorTOTP, Verified: true, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Manage().ResetMFA(ctx, tn, "A@acme.test"); err != nil || n != 1 {
		t.Fatalf("ResetMFA = %d, %v", n, err)
	}
	s.Wait() // notices are sent in the background
	mails := out.Emails()
	if len(mails) != 1 || mails[0].To != "a@acme.test" || !strings.Contains(mails[0].Text, "reset by an administrator") {
		t.Fatalf("notice: %+v", mails)
	}
	var ie *manage.InputError
	if _, err := s.Manage().ResetMFA(ctx, tn, "nobody@acme.test"); !errors.As(err, &ie) {
		t.Fatalf("unknown user: %v", err)
	}
}
