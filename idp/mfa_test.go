package idp

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite/sqlitetest"
	"github.com/gatehouse-idp/gatehouse/mfa/otp"
)

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
