package idp

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite"
)

func testServer(t *testing.T, now *time.Time) *Server {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Memory, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := seal.New(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Store: st, Sealer: sealer, PublicURL: "https://id.example.test", Clock: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
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
		if got := upstreamAMR(c.in, c.accept); !slices.Equal(got, c.want) {
			t.Errorf("upstreamAMR(%v, %v) = %v, want %v", c.in, c.accept, got, c.want)
		}
	}
	// Gatehouse's own values come first and are not repeated.
	own := policy.AMRFor(policy.MethodFederated, policy.MethodPassword)
	if got := withUpstreamAMR(own, []string{"pwd", "otp"}); !slices.Equal(got, []string{"pwd", "fed", "otp"}) {
		t.Errorf("withUpstreamAMR = %v", got)
	}
	// Upstream MFA counts only when the connection accepts it.
	c := &store.Connection{}
	if m := fedMethods(c, true); slices.Contains(m, policy.MethodUpstreamMFA) {
		t.Error("upstream MFA trusted without accept_upstream_mfa")
	}
	c.AcceptUpstreamMFA = true
	if m := fedMethods(c, true); !slices.Contains(m, policy.MethodUpstreamMFA) || policy.ACR(policy.AMRFor(m...)) != policy.ACRMFA {
		t.Errorf("accepted upstream MFA: methods %v", m)
	}
	if m := fedMethods(c, false); slices.Contains(m, policy.MethodUpstreamMFA) {
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
		if got := upstreamOrigin(c); got != want {
			t.Errorf("upstreamOrigin(%s) = %q, want %q", c.Config, got, want)
		}
	}
}

func TestFlowCookie(t *testing.T) {
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	s := testServer(t, &now)
	ctx := context.Background()
	a, err := s.CreateTenant(ctx, "alpha", "Alpha")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateTenant(ctx, "bravo", "Bravo")
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.CreateConnection(ctx, a, ConnectionSpec{Kind: "oidc", ClientID: "c", ClientSecret: "s", Issuer: "https://idp.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.newFlow(flowLogin, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.AuthRequestID = "ar-1"
	rec := httptest.NewRecorder()
	if err := s.saveFlow(ctx, rec, a, f, fedFlowTTL); err != nil {
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
	got, ok := s.readFlow(req(cookie), a, flowLogin)
	if !ok || got.State != f.State || got.Nonce != f.Nonce || got.Verifier != f.Verifier || got.AuthRequestID != "ar-1" {
		t.Fatalf("round trip: %+v %v", got, ok)
	}
	if _, ok := s.readFlow(req(cookie), a, flowProof); ok {
		t.Fatal("a round-trip cookie was read as a proof cookie")
	}
	moved := *cookie
	moved.Name = "__Host-gh_fed_bravo"
	if _, ok := s.readFlow(req(&moved), b, flowLogin); ok {
		t.Fatal("tenant alpha's flow accepted by tenant bravo")
	}
	tampered := *cookie
	tampered.Value = cookie.Value[:len(cookie.Value)-2] + "AA"
	if _, ok := s.readFlow(req(&tampered), a, flowLogin); ok {
		t.Fatal("tampered cookie accepted")
	}
	// Single use in the database, and expiry.
	if err := s.consumeFlow(ctx, a, got); err != nil {
		t.Fatal(err)
	}
	if err := s.consumeFlow(ctx, a, got); !errors.Is(err, store.ErrAlreadyUsed) {
		t.Fatalf("second consume: %v", err)
	}
	now = now.Add(fedFlowTTL)
	if _, ok := s.readFlow(req(cookie), a, flowLogin); ok {
		t.Fatal("expired flow accepted")
	}
}

func TestConnectionManagement(t *testing.T) {
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	s := testServer(t, &now)
	ctx := context.Background()
	a, _ := s.CreateTenant(ctx, "alpha", "Alpha")
	b, _ := s.CreateTenant(ctx, "bravo", "Bravo")
	v, err := s.CreateConnection(ctx, a, ConnectionSpec{Kind: "microsoft", ClientID: "app", ClientSecret: "sec",
		EntraTenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", Issuer: "https://login.microsoftonline.us/"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Issuer != "https://login.microsoftonline.us" || v.EntraTenant != "72f988bf-86f1-41af-91ab-2d7cd011db47" || v.Name != "Office 365" {
		t.Fatalf("view: %+v", v)
	}
	// The stored config is what the connector decodes, secret sealed apart.
	c, _ := s.store.ConnectionByID(ctx, a.ID, v.ID)
	if strings.Contains(string(c.Config), "sec") || strings.Contains(string(c.SealedSecret), "sec") {
		t.Fatalf("secret in clear: %s", c.Config)
	}
	cfg, err := s.connectorConfig(a.Slug, c, "sec")
	if err != nil || cfg.Kind() != federation.KindMicrosoft {
		t.Fatalf("connectorConfig: %v", err)
	}
	// Tenant bravo cannot reach alpha's connection.
	if _, err := s.UpdateConnection(ctx, b, v.ID, ConnectionChange{}); err == nil {
		t.Fatal("bravo updated alpha's connection")
	}
	if _, _, err := s.SetConnectionEnabled(ctx, b, v.ID, false, false); err == nil {
		t.Fatal("bravo disabled alpha's connection")
	}
	if _, err := s.RemoveConnection(ctx, b, v.ID, false); err == nil {
		t.Fatal("bravo removed alpha's connection")
	}
	// An update keeps the secret unless a new one is given.
	name := "Contoso"
	if _, err := s.UpdateConnection(ctx, a, v.ID, ConnectionChange{Name: &name}); err != nil {
		t.Fatal(err)
	}
	c2, _ := s.store.ConnectionByID(ctx, a.ID, v.ID)
	if sec, err := s.openSecret(a, c2); err != nil || sec != "sec" || c2.Name != "Contoso" {
		t.Fatalf("after update: %q %v %q", sec, err, c2.Name)
	}
	// Audit events of the changes.
	evs, _ := s.store.ListAuditEvents(ctx, a.ID, store.AuditQuery{})
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	if !slices.Contains(types, audit.ConnectionCreated) || !slices.Contains(types, audit.ConnectionUpdated) {
		t.Fatalf("audit: %v", types)
	}
	if evs, _ := s.store.ListAuditEvents(ctx, b.ID, store.AuditQuery{Type: audit.ConnectionUpdated}); len(evs) != 0 {
		t.Fatal("bravo has alpha's events")
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
		if got := refusalReason(err); got != want {
			t.Errorf("refusalReason(%v) = %q, want %q", err, got, want)
		}
	}
}
