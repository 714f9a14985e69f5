package account

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// TestSensitiveFreshness: the guard's verdict for every kind of session
// Only what Gatehouse verified counts: the session's acr, never
// upstream amr values listed next to it.
func TestSensitiveFreshness(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	totp := &store.Factor{Kind: store.FactorTOTP, Verified: true}
	email := &store.Factor{Kind: store.FactorEmail, Verified: true}
	withTOTP := factors.Holdings{Verified: []*store.Factor{totp, email}, BackupLeft: 10}
	emailOnly := factors.Holdings{Verified: []*store.Factor{email}}
	codesOnly := factors.Holdings{BackupLeft: 3}
	none := factors.Holdings{}
	sess := func(age time.Duration, acr string, amr ...string) *store.Session {
		return &store.Session{AuthTime: now.Add(-age), ACR: acr, AMR: amr}
	}
	pwd, mfa := policy.ACRPassword, policy.ACRMFA
	for _, tt := range []struct {
		name string
		sess *store.Session
		h    factors.Holdings
		ok   bool
		why  string
	}{
		{"password only, TOTP enrolled", sess(time.Minute, pwd, "pwd"), withTOTP, false, "no_second_factor"},
		{"password + TOTP, fresh", sess(time.Minute, mfa, "pwd", "otp", "mfa"), withTOTP, true, "second_factor"},
		{"password + TOTP, 11 minutes ago", sess(11*time.Minute, mfa, "pwd", "otp", "mfa"), withTOTP, false, "stale"},
		{"auth time in the future", sess(-time.Hour, mfa, "pwd", "otp", "mfa"), withTOTP, false, "stale"},
		{"untrusted upstream otp (legacy session)", sess(time.Minute, pwd, "fed", "pwd", "otp"), withTOTP, false, "no_second_factor"},
		{"untrusted upstream mfa listed", sess(time.Minute, pwd, "fed", "mfa"), withTOTP, false, "no_second_factor"},
		{"trusted upstream MFA", sess(time.Minute, mfa, "fed", "mfa"), withTOTP, true, "second_factor"},
		{"email code, TOTP enrolled", sess(time.Minute, pwd, "pwd", "email"), withTOTP, false, "email_code_not_enough"},
		{"email code, only email enrolled", sess(time.Minute, pwd, "pwd", "email"), emailOnly, true, "email_code"},
		{"passkey alone", sess(time.Minute, policy.ACRPhishingResistant, "hwk", "mfa"), withTOTP, true, "second_factor"},
		{"backup code", sess(time.Minute, mfa, "pwd", "otp", "mfa"), codesOnly, true, "second_factor"},
		{"only backup codes, password only", sess(time.Minute, pwd, "pwd"), codesOnly, false, "no_second_factor"},
		{"no factors, recent sign-in", sess(time.Minute, pwd, "pwd"), none, true, "no_factors"},
		{"no factors, old sign-in", sess(time.Hour, pwd, "pwd"), none, false, "stale"},
	} {
		got := sensitiveFreshness(now, tt.sess, tt.h)
		if got.OK != tt.ok || got.Reason != tt.why {
			t.Errorf("%s: got %+v, want ok=%v %s", tt.name, got, tt.ok, tt.why)
		}
	}
}

// TestHoldMail: outside a guarded request a notice is not held (the mailer
// sends it at once); inside one, every notice is kept for the action's one
// email, in order.
func TestHoldMail(t *testing.T) {
	ctx := context.Background()
	if HoldMail(ctx, "factor_added", nil) {
		t.Fatal("a notice outside the guard was held")
	}
	op := &sensitiveOp{}
	ctx = context.WithValue(ctx, sensitiveKey{}, op)
	if !HoldMail(ctx, "factor_added", map[string]any{"Factor": "a"}) || !HoldMail(ctx, "factor_removed", nil) {
		t.Fatal("a notice inside the guard was not held")
	}
	if len(op.mails) != 2 || op.mails[0].kind != "factor_added" || op.mails[1].kind != "factor_removed" {
		t.Fatalf("held %+v", op.mails)
	}
}
