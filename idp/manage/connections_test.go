package manage

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/keys"
	"github.com/gatehouse-idp/gatehouse/idp/password"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite/sqlitetest"
	"github.com/gatehouse-idp/gatehouse/idp/tenant"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// testService is a Service over an in-memory store with the real
// dependencies the root wires (the factors functions are left out: no test
// here resets factors or counters).
func testService(t *testing.T, now *time.Time) (*Service, *sqlite.Store) {
	t.Helper()
	st := sqlitetest.Open(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := seal.New(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return *now }
	tenantURL := func(slug string) string { return "https://id.example.test/t/" + slug }
	rec := &audit.Recorder{Store: st, Clock: clock, Logger: slog.Default(), Request: web.RequestInfo}
	tenants := tenant.NewTenants(st, clock)
	ks := keys.New(st, sealer, clock, 24*time.Hour)
	return &Service{
		Store: st, Tenants: tenants, Keys: ks, Hasher: password.NewHasher(password.OWASP(), 0, nil),
		Sessions: &session.Service{Store: st, Tenants: tenants, Keys: ks, Audit: rec, Log: slog.Default(), Clock: clock,
			Rand: rand.Reader, CookieKey: sealer.Derive("gatehouse/session-cookie/v1"), Issuer: tenantURL,
			Backchannel: session.NewBackchannelClient()},
		Upstream: &upstream.Service{Store: st, Sealer: sealer, HTTP: upstream.DefaultClient(), Clock: clock, Rand: rand.Reader,
			TenantURL: tenantURL},
		Audit: rec, Clock: clock, Rand: rand.Reader, TenantURL: tenantURL,
		Locate: func(netip.Addr) (string, string) { return "", "" },
	}, st
}

func TestConnectionManagement(t *testing.T) {
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	s, st := testService(t, &now)
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
	c, _ := s.Store.ConnectionByID(ctx, a.ID, v.ID)
	if strings.Contains(string(c.Config), "sec") || strings.Contains(string(c.SealedSecret), "sec") {
		t.Fatalf("secret in clear: %s", c.Config)
	}
	if p := s.Upstream.Validate(a.Slug, c, "sec"); len(p) != 0 {
		t.Fatalf("stored connection: %v", p)
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
	c2, _ := s.Store.ConnectionByID(ctx, a.ID, v.ID)
	if sec, err := s.Upstream.OpenSecret(a, c2); err != nil || sec != "sec" || c2.Name != "Contoso" {
		t.Fatalf("after update: %q %v %q", sec, err, c2.Name)
	}
	// Audit events of the changes.
	evs, _ := st.ListAuditEvents(ctx, a.ID, store.AuditQuery{})
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	if !slices.Contains(types, audit.ConnectionCreated) || !slices.Contains(types, audit.ConnectionUpdated) {
		t.Fatalf("audit: %v", types)
	}
	if evs, _ := st.ListAuditEvents(ctx, b.ID, store.AuditQuery{Types: []string{audit.ConnectionUpdated}}); len(evs) != 0 {
		t.Fatal("bravo has alpha's events")
	}
}
