package factors

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// testService is a Service with a relying party for https://login.example.com
// and no senders.
func testService(t *testing.T) *Service {
	t.Helper()
	rp, err := RelyingParty("https://login.example.com", "", rand.Reader, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return &Service{RP: rp, Clock: time.Now, Rand: rand.Reader}
}

// TestMFAPolicyResolution: defaults, and methods without a sender left out.
func TestMFAPolicyResolution(t *testing.T) {
	bare := testService(t)
	mp := bare.Policy(store.TenantSettings{})
	if mp.Mode != policy.MFAAlways || !slices.Equal(mp.Methods, []policy.Method{policy.MethodTOTP, policy.MethodWebAuthn}) || mp.RememberDays != 0 {
		t.Fatalf("defaults: %+v", mp)
	}
	mp = bare.Policy(store.TenantSettings{MFAMode: "new-device", MFAMethods: []string{"email", "sms", "totp"}, RememberDeviceDays: 9999})
	if mp.Mode != policy.MFANewDevice || !slices.Equal(mp.Methods, []policy.Method{policy.MethodTOTP}) || mp.RememberDays != 0 {
		t.Fatalf("without senders: %+v", mp)
	}
	// What the tenant offers limits enrolment, not verification: a TOTP
	// factor still verifies when the tenant offers only email.
	mp = bare.Policy(store.TenantSettings{MFAMethods: []string{"email"}})
	if mp.Allows("totp") || !mp.CanVerify("totp") || mp.CanVerify("email") || mp.CanVerify("sms") {
		t.Fatalf("verifiable without senders: %+v", mp)
	}
	out := notify.NewOutbox(0, nil)
	full := testService(t)
	full.SMS, full.DefaultSMS = map[string]notify.SMSSender{"twilio": out}, "twilio"
	full.SendEmail = func(context.Context, *store.Tenant, string, string, map[string]any) error { return nil }
	mp = full.Policy(store.TenantSettings{MFAMethods: []string{"email", "sms"}, RememberDeviceDays: 30})
	if !slices.Equal(mp.Methods, []policy.Method{policy.MethodEmail, policy.MethodSMS}) || mp.RememberDays != 30 || !mp.CanVerify("totp") {
		t.Fatalf("with senders: %+v", mp)
	}
	// A tenant naming a provider that is not configured has no SMS.
	mp = full.Policy(store.TenantSettings{MFAMethods: []string{"sms"}, SMSProvider: "webhook"})
	if len(mp.Methods) != 0 {
		t.Fatalf("unconfigured tenant provider: %+v", mp)
	}
	// An unknown stored mode stays unknown, and RequireSecondFactor fails closed on it.
	mp = full.Policy(store.TenantSettings{MFAMode: "sometimes"})
	if req, reason := policy.RequireSecondFactor(mp.Mode, policy.Signals{}); !req || reason != policy.ReasonUnknownMode {
		t.Fatalf("unknown mode: %v %s", req, reason)
	}
}

// TestRelyingPartyNeedsAHost: an IP public URL has no passkeys, and says why.
func TestRelyingPartyNeedsAHost(t *testing.T) {
	for _, u := range []string{"https://127.0.0.1:8443", "not a url", ""} {
		if rp, err := RelyingParty(u, "", rand.Reader, time.Now); rp != nil || err == nil {
			t.Errorf("%q: rp %v err %v", u, rp, err)
		}
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "Passkey",
		"  Work   key ":           "Work key",
		"evil\r\nSubject: x":      "evil Subject: x",
		string(make([]rune, 100)): "Passkey", // only control characters
	} {
		if got := CleanName(in, store.FactorWebAuthn); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
	long := CleanName(string(slices.Repeat([]rune("é"), 80)), store.FactorTOTP)
	if len([]rune(long)) != maxFactorName {
		t.Errorf("long name kept %d runes", len([]rune(long)))
	}
}

func TestRateLimitedMessage(t *testing.T) {
	if m := (&rateLimitedError{retry: 42 * time.Second}).Error(); m != "A code was sent a moment ago. You can ask for a new one in 42 seconds." {
		t.Errorf("cooldown message %q", m)
	}
	if m := (&rateLimitedError{retry: time.Hour}).Error(); m != "Too many codes were sent. Try again later or choose another method." {
		t.Errorf("limit message %q", m)
	}
	var rl *rateLimitedError
	if _, ok := web.PublicText(&rateLimitedError{}); !ok || !errors.As(error(&rateLimitedError{}), &rl) {
		t.Error("a rate limit is not shown")
	}
	if _, ok := web.PublicText(errors.New("db down")); ok {
		t.Error("an internal error is shown")
	}
}

// TestFailureReason: the audit code of each refusal, and of an internal failure.
func TestFailureReason(t *testing.T) {
	for err, want := range map[error]string{
		ErrCodeReplayed: "replayed", errCodeExpired: "expired", errCodeTooMany: "too_many_attempts",
		ErrCodeNone: "no_code", errCodeFormat: "malformed", ErrCodeWrong: "wrong_code",
		errors.New("db down"): "verification_failed",
	} {
		if got := FailureReason(err); got != want {
			t.Errorf("FailureReason(%v) = %q, want %q", err, got, want)
		}
	}
}
