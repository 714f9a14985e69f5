package login

import (
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/password"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite/sqlitetest"
	"github.com/gatehouse-idp/gatehouse/idp/tenant"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
	"github.com/gatehouse-idp/gatehouse/idp/web"
	"github.com/gatehouse-idp/gatehouse/mfa/otp"
)

// TestProofCodesBoundToProof: a code sent for a linking proof works only
// for that auth request and connection, once, and not at /login/2fa of the
// same auth request (whose binding is the auth request id); a factor of
// another user is never checked.
func TestProofCodesBoundToProof(t *testing.T) {
	out := notify.NewOutbox(0, nil)
	st := sqlitetest.Open(t)
	fs := testFactors(t, st, out)
	ctx := t.Context()
	now := time.Now()
	tn := &store.Tenant{ID: store.NewID(), Slug: "acme", Name: "Acme", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	u := testUser(t, st, tn, "a@acme.test")
	other := testUser(t, st, tn, "b@acme.test")
	f := &store.Factor{ID: "f-email", TenantID: tn.ID, UserID: u.ID, Kind: store.FactorEmail, Destination: "a@acme.test",
		Verified: true, CreatedAt: time.Now()}
	if err := st.CreateFactor(ctx, f); err != nil {
		t.Fatal(err)
	}
	flow := &upstream.Flow{AuthRequestID: "ar-1", ConnectionID: "conn-google"}
	if err := fs.SendCode(ctx, tn, u, f, store.OTPPurposeLogin, proofBinding(flow)); err != nil {
		t.Fatal(err)
	}
	mails := out.Emails()
	if len(mails) != 1 {
		t.Fatalf("emails: %d", len(mails))
	}
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(mails[0].Text)
	if code == "" {
		t.Fatalf("no code in %q", mails[0].Text)
	}
	for _, tc := range []struct {
		name    string
		user    *store.User
		binding string
		want    error
	}{
		{"second-factor step of the same request", u, flow.AuthRequestID, factors.ErrCodeNone},
		{"proof on another connection", u, proofBinding(&upstream.Flow{AuthRequestID: "ar-1", ConnectionID: "conn-okta"}), factors.ErrCodeNone},
		{"proof of another request", u, proofBinding(&upstream.Flow{AuthRequestID: "ar-2", ConnectionID: "conn-google"}), factors.ErrCodeNone},
		{"another user's factor", other, proofBinding(flow), store.ErrNotFound},
		{"this proof", u, proofBinding(flow), nil},
		{"this proof again", u, proofBinding(flow), factors.ErrCodeNone},
	} {
		c := &factors.CodeCredential{Tenant: tn, User: tc.user, Factors: []*store.Factor{f}, Purpose: store.OTPPurposeLogin, Binding: tc.binding, Code: code}
		err := fs.VerifyThrottled(ctx, fs.FactorGuard(tn, tc.user.ID, ""), c)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestProofResultWording: which sentence and audit code a refusal gets.
func TestProofResultWording(t *testing.T) {
	for _, tc := range []struct {
		res      proofResult
		why, msg string
	}{
		{proofResult{kind: "password", err: errWrongPassword}, "wrong_password", "Incorrect password."},
		{proofResult{kind: "totp", err: factors.ErrCodeReplayed}, "replayed", factors.ErrCodeReplayed.Public()},
		{proofResult{kind: "totp", err: factors.ErrCodeWrong}, "wrong_code", factors.ErrCodeWrong.Public()},
		{proofResult{kind: "unknown", err: errUnknownProof}, "unknown_proof", errUnknownProof.Error()},
		{proofResult{kind: store.FactorWebAuthn, err: errors.New("bad signature")}, "verification_failed",
			"The passkey could not be verified. Try again or choose another method."},
		{proofResult{kind: store.FactorWebAuthn, err: errPasskeyNoCeremony}, "no_ceremony", errPasskeyNoCeremony.Error()},
		{proofResult{kind: "sms", err: errors.New("db down")}, "verification_failed", "That code could not be checked. Try again."},
	} {
		if got := tc.res.why(); got != tc.why {
			t.Errorf("%v: why = %q, want %q", tc.res.err, got, tc.why)
		}
		if got := tc.res.message(); got != tc.msg {
			t.Errorf("%v: message = %q, want %q", tc.res.err, got, tc.msg)
		}
	}
}

// testFactors is the second-factor service as idp.New builds it, on st,
// with email codes delivered to out.
func testFactors(t *testing.T, st store.Store, out *notify.Outbox) *factors.Service {
	t.Helper()
	sealer, err := seal.New(make([]byte, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tenants := tenant.NewTenants(st, time.Now)
	tmpl, err := mailer.ParseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	m := &mailer.Service{Sender: out, Templates: tmpl, Tenants: tenants, Clock: time.Now, Logger: log}
	pepper, codeKey := factors.CodeKeys(sealer)
	counter := func(name string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name}, []string{"kind"})
	}
	return &factors.Service{
		Store: st, Sealer: sealer, Hasher: password.NewHasher(password.OWASP(), 0, nil), Tenants: tenants,
		Audit: &audit.Recorder{Store: st, Clock: time.Now, Logger: log, Request: web.RequestInfo},
		Log:   log, Clock: time.Now, Rand: rand.Reader, Rules: otp.DefaultRules(), Pepper: pepper, CodeKey: codeKey,
		SendEmail: m.Send, Notify: m.Notify,
		Checks: counter("checks"), Throttled: counter("throttled"), Locks: prometheus.NewCounter(prometheus.CounterOpts{Name: "locks"}),
	}
}

// testUser creates an agent of tn.
func testUser(t *testing.T, st store.Store, tn *store.Tenant, email string) *store.User {
	t.Helper()
	now := time.Now()
	u := &store.User{ID: store.NewID(), TenantID: tn.ID, Email: email, Role: store.RoleAgent, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}
