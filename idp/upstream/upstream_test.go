package upstream

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite/sqlitetest"
)

// fixture is a Service on an in-memory store with tenants alpha and bravo
// and an OIDC connection of alpha.
type fixture struct {
	s            *Service
	st           *sqlite.Store
	alpha, bravo *store.Tenant
	conn         *store.Connection
}

func newFixture(t *testing.T, now *time.Time) *fixture {
	t.Helper()
	ctx := t.Context()
	st := sqlitetest.Open(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := seal.New(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, s: &Service{Store: st, Sealer: sealer, HTTP: DefaultClient(), Clock: func() time.Time { return *now },
		Rand: rand.Reader, TenantURL: func(slug string) string { return "https://id.example.test/t/" + slug }}}
	for _, slug := range []string{"alpha", "bravo"} {
		tn := &store.Tenant{ID: store.NewID(), Slug: slug, Name: slug, CreatedAt: *now, UpdatedAt: *now}
		if err := st.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		if slug == "alpha" {
			f.alpha = tn
		} else {
			f.bravo = tn
		}
	}
	f.conn = &store.Connection{ID: store.NewID(), TenantID: f.alpha.ID, Kind: store.ConnectionOIDC, Name: "IdP", Enabled: true,
		DefaultRole: store.RoleAgent, LinkMode: string(federation.LinkModeNone), CreatedAt: *now, UpdatedAt: *now,
		Config: []byte(`{"client_id":"c","issuer":"https://idp.example.com"}`)}
	if f.conn.SealedSecret, err = f.s.SealSecret(f.alpha, f.conn, "s"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateConnection(ctx, f.conn); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestUpstreamAMR(t *testing.T) {
	cases := []struct {
		in     []string
		accept bool
		want   []string
	}{
		{nil, false, nil},
		{[]string{"pwd", "mfa", "otp"}, false, []string{"pwd", "otp"}},
		{[]string{"pwd", "mfa"}, true, []string{"pwd", "mfa"}},
		{[]string{"fed", "pwd", "pwd", "password", "<x>", "hwk"}, false, []string{"pwd", "hwk"}},
	}
	for _, c := range cases {
		if got := AMR(c.in, c.accept); !slices.Equal(got, c.want) {
			t.Errorf("AMR(%v, %v) = %v, want %v", c.in, c.accept, got, c.want)
		}
	}
	// Gatehouse's own values come first and are not repeated.
	own := policy.AMRFor(policy.MethodFederated, policy.MethodPassword)
	if got := WithAMR(own, []string{"pwd", "otp"}); !slices.Equal(got, []string{"pwd", "fed", "otp"}) {
		t.Errorf("WithAMR = %v", got)
	}
	// Upstream MFA counts only when the connection accepts it.
	c := &store.Connection{}
	if m := Methods(c, true); slices.Contains(m, policy.MethodUpstreamMFA) {
		t.Error("upstream MFA trusted without accept_upstream_mfa")
	}
	c.AcceptUpstreamMFA = true
	if m := Methods(c, true); !slices.Contains(m, policy.MethodUpstreamMFA) || policy.ACR(policy.AMRFor(m...)) != policy.ACRMFA {
		t.Errorf("accepted upstream MFA: methods %v", m)
	}
	if m := Methods(c, false); slices.Contains(m, policy.MethodUpstreamMFA) {
		t.Error("upstream MFA added without an upstream assertion")
	}
}

func TestUpstreamOrigin(t *testing.T) {
	cases := map[string]*store.Connection{
		"https://accounts.google.com":       {Kind: "google", Config: []byte(`{"client_id":"x"}`)},
		"https://login.microsoftonline.com": {Kind: "microsoft", Config: []byte(`{"tenant":"common"}`)},
		"https://login.microsoftonline.us":  {Kind: "microsoft", Config: []byte(`{"issuer_base":"https://login.microsoftonline.us"}`)},
		"https://idp.example.com":           {Kind: "oidc", Config: []byte(`{"issuer":"https://idp.example.com/realms/a"}`)},
		"":                                  {Kind: "oidc", Config: []byte(`{"issuer":"javascript:alert(1)"}`)},
	}
	for want, c := range cases {
		if got := Origin(c); got != want {
			t.Errorf("Origin(%s) = %q, want %q", c.Config, got, want)
		}
	}
}

func TestFlowCookie(t *testing.T) {
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	fx := newFixture(t, &now)
	s, a, b, ctx := fx.s, fx.alpha, fx.bravo, t.Context()
	f, err := s.NewFlow(FlowLogin, fx.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.AuthRequestID = "ar-1"
	rec := httptest.NewRecorder()
	if err := s.SaveFlow(ctx, rec, a, f, FlowTTL); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	if cookie.Name != "__Host-gh_fed_alpha" || !cookie.HttpOnly || !cookie.Secure || cookie.Path != "/" ||
		cookie.SameSite != http.SameSiteLaxMode || strings.Contains(cookie.Value, f.Nonce) || strings.Contains(cookie.Value, f.Verifier) {
		t.Fatalf("cookie: %+v", cookie)
	}
	req := func(c *http.Cookie) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(c)
		return r
	}
	got, ok := s.ReadFlow(req(cookie), a, FlowLogin)
	if !ok || got.State != f.State || got.Nonce != f.Nonce || got.Verifier != f.Verifier || got.AuthRequestID != "ar-1" {
		t.Fatalf("round trip: %+v %v", got, ok)
	}
	if _, ok := s.ReadFlow(req(cookie), a, FlowProof); ok {
		t.Fatal("a round-trip cookie was read as a proof cookie")
	}
	moved := *cookie
	moved.Name = "__Host-gh_fed_bravo"
	if _, ok := s.ReadFlow(req(&moved), b, FlowLogin); ok {
		t.Fatal("tenant alpha's flow accepted by tenant bravo")
	}
	tampered := *cookie
	tampered.Value = cookie.Value[:len(cookie.Value)-2] + "AA"
	if _, ok := s.ReadFlow(req(&tampered), a, FlowLogin); ok {
		t.Fatal("tampered cookie accepted")
	}
	// Single use in the database, and expiry.
	if err := s.ConsumeFlow(ctx, a, got); err != nil {
		t.Fatal(err)
	}
	if err := s.ConsumeFlow(ctx, a, got); !errors.Is(err, store.ErrAlreadyUsed) {
		t.Fatalf("second consume: %v", err)
	}
	now = now.Add(FlowTTL)
	if _, ok := s.ReadFlow(req(cookie), a, FlowLogin); ok {
		t.Fatal("expired flow accepted")
	}
}

// TestConnectors: a connection's config decodes with its tenant's
// callback, its secret opens only for its tenant, and only enabled
// connections of the tenant are usable.
func TestConnectors(t *testing.T) {
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	fx := newFixture(t, &now)
	s, ctx := fx.s, t.Context()
	c := &store.Connection{ID: "c1", Kind: store.ConnectionMicrosoft, Config: []byte(`{"client_id":"app","tenant":"72f988bf-86f1-41af-91ab-2d7cd011db47"}`)}
	cfg, err := s.config("alpha", c, "sec")
	if err != nil || cfg.Kind() != federation.KindMicrosoft {
		t.Fatalf("config: %v", err)
	}
	if got := s.RedirectURI("alpha", "c1"); got != "https://id.example.test/t/alpha/login/federated/c1/callback" {
		t.Fatalf("redirect URI %q", got)
	}
	if sec, err := s.OpenSecret(fx.alpha, fx.conn); err != nil || sec != "s" {
		t.Fatalf("OpenSecret = %q, %v", sec, err)
	}
	if _, err := s.OpenSecret(fx.bravo, fx.conn); err == nil {
		t.Fatal("alpha's secret opened for bravo")
	}
	if got, err := s.EnabledConnection(ctx, fx.alpha, fx.conn.ID); err != nil || got.ID != fx.conn.ID {
		t.Fatalf("EnabledConnection: %v", err)
	}
	for name, id := range map[string]string{"empty": "", "long": strings.Repeat("x", 65), "unknown": "nope"} {
		if _, err := s.EnabledConnection(ctx, fx.alpha, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s id: %v", name, err)
		}
	}
	if _, err := s.EnabledConnection(ctx, fx.bravo, fx.conn.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("alpha's connection from bravo: %v", err)
	}
	fx.conn.Enabled = false
	if err := fx.st.UpdateConnection(ctx, fx.conn); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnabledConnection(ctx, fx.alpha, fx.conn.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("disabled connection: %v", err)
	}
	// Every problem of a connection at once, named as the CLI flags.
	bad := &store.Connection{Kind: store.ConnectionOIDC, Name: "", DefaultRole: "root", Config: []byte(`{}`)}
	p := s.Validate("alpha", bad, "two\nlines")
	joined := strings.Join(p, "\n")
	for _, want := range []string{"(--name)", "one line", "(--default-role)", "(--link-mode)", "(--client-id)"} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems lack %q:\n%s", want, joined)
		}
	}
}

func TestRefusalReason(t *testing.T) {
	cases := map[string]error{
		"upstream_error":       federation.NewUpstreamError("access_denied", ""),
		"upstream_unavailable": errors.Join(errors.New("x"), federation.ErrUpstreamUnavailable),
		"nonce_missing":        federation.ErrNonceMissing,
		"nonce_mismatch":       federation.ErrNonceMismatch,
		"jit_disabled":         federation.ErrJITDisabled,
		"state_replayed":       store.ErrAlreadyUsed,
		"error":                errors.New("other"),
	}
	for want, err := range cases {
		if got := RefusalReason(err); got != want {
			t.Errorf("RefusalReason(%v) = %q, want %q", err, got, want)
		}
	}
}
