package idp

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite/sqlitetest"
)

func testServer(t *testing.T, now *time.Time) *Server {
	t.Helper()
	st := sqlitetest.Open(t)
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
	if p := s.upstream.Validate(a.Slug, c, "sec"); len(p) != 0 {
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
	c2, _ := s.store.ConnectionByID(ctx, a.ID, v.ID)
	if sec, err := s.upstream.OpenSecret(a, c2); err != nil || sec != "sec" || c2.Name != "Contoso" {
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
	if evs, _ := s.store.ListAuditEvents(ctx, b.ID, store.AuditQuery{Types: []string{audit.ConnectionUpdated}}); len(evs) != 0 {
		t.Fatal("bravo has alpha's events")
	}
}
