package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Federation conformance: connections, links, single-use round-trip states,
// sessions created through a connection, and tenant isolation of all four.

func mkConnection(t *testing.T, s store.Store, tenantID, kind string) *store.Connection {
	t.Helper()
	c := &store.Connection{
		ID:                store.NewID(),
		TenantID:          tenantID,
		Kind:              kind,
		Name:              "Conn " + kind,
		Config:            []byte(`{"client_id":"cid-` + kind + `"}`),
		SealedSecret:      []byte("sealed-secret-bytes"),
		Enabled:           true,
		JIT:               true,
		DefaultRole:       store.RoleAgent,
		LinkMode:          "verified_email_with_proof",
		AcceptUpstreamMFA: true,
		CreatedAt:         t0.Add(-time.Hour),
		UpdatedAt:         t0.Add(-time.Minute),
	}
	if err := s.CreateConnection(ctx(t), c); err != nil {
		t.Fatalf("CreateConnection: %v", err)
	}
	return c
}

func mkLink(t *testing.T, s store.Store, tenantID, connID, subject, userID string) *store.Link {
	t.Helper()
	l := &store.Link{
		TenantID: tenantID, ConnectionID: connID, Issuer: "https://accounts.example.com", Subject: subject,
		UserID: userID, Email: subject + "@example.com", CreatedAt: t0.Add(-time.Hour), LastUsedAt: t0.Add(-time.Hour),
	}
	if err := s.CreateLink(ctx(t), l); err != nil {
		t.Fatalf("CreateLink: %v", err)
	}
	return l
}

func testConnections(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	c := mkConnection(t, s, tn.ID, store.ConnectionGoogle)
	got, err := s.ConnectionByID(ctx(t), tn.ID, c.ID)
	wantErr(t, "ConnectionByID", err, nil)
	mustEqual(t, "connection", c, got)

	dup := *c
	wantErr(t, "CreateConnection duplicate id", s.CreateConnection(ctx(t), &dup), store.ErrConflict)
	bad := *c
	bad.ID, bad.TenantID = store.NewID(), "no-such-tenant"
	if err := s.CreateConnection(ctx(t), &bad); err == nil {
		t.Fatal("CreateConnection for a missing tenant succeeded")
	}

	second := &store.Connection{ID: store.NewID(), TenantID: tn.ID, Kind: store.ConnectionMicrosoft, Name: "Office 365",
		Config: []byte(`{}`), SealedSecret: []byte("x"), CreatedAt: t0, UpdatedAt: t0} // newer than c
	wantErr(t, "CreateConnection second", s.CreateConnection(ctx(t), second), nil)
	got2, _ := s.ConnectionByID(ctx(t), tn.ID, second.ID)
	mustEqual(t, "second connection (zero flags)", second, got2)
	list, err := s.ListConnections(ctx(t), tn.ID)
	wantErr(t, "ListConnections", err, nil)
	if len(list) != 2 || list[0].ID != c.ID || list[1].ID != second.ID {
		t.Fatalf("ListConnections order: %+v", list)
	}

	c.Name, c.Config, c.SealedSecret = "Renamed", []byte(`{"client_id":"other"}`), []byte("new-sealed")
	c.Enabled, c.JIT, c.DefaultRole, c.LinkMode, c.AcceptUpstreamMFA = false, false, store.RoleAdmin, "none", false
	c.UpdatedAt = t0
	wantErr(t, "UpdateConnection", s.UpdateConnection(ctx(t), c), nil)
	got, _ = s.ConnectionByID(ctx(t), tn.ID, c.ID)
	mustEqual(t, "updated connection", c, got)

	missing := *c
	missing.ID = "nope"
	wantErr(t, "UpdateConnection missing", s.UpdateConnection(ctx(t), &missing), store.ErrNotFound)

	// Deleting a connection takes its links, states and login records along.
	u := mkUser(t, s, tn.ID, "a@acme.test")
	mkLink(t, s, tn.ID, c.ID, "sub-1", u.ID)
	wantErr(t, "CreateFederationState", s.CreateFederationState(ctx(t), &store.FederationState{
		TenantID: tn.ID, Hash: hash("st"), ConnectionID: c.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}), nil)
	wantErr(t, "DeleteConnection", s.DeleteConnection(ctx(t), tn.ID, c.ID), nil)
	_, err = s.ConnectionByID(ctx(t), tn.ID, c.ID)
	wantErr(t, "ConnectionByID after delete", err, store.ErrNotFound)
	_, err = s.LinkByKey(ctx(t), tn.ID, c.ID, "https://accounts.example.com", "sub-1")
	wantErr(t, "LinkByKey after connection delete", err, store.ErrNotFound)
	wantErr(t, "ConsumeFederationState after connection delete",
		s.ConsumeFederationState(ctx(t), tn.ID, c.ID, hash("st"), t0), store.ErrNotFound)
	wantErr(t, "DeleteConnection twice", s.DeleteConnection(ctx(t), tn.ID, c.ID), store.ErrNotFound)
}

func testLinks(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	c := mkConnection(t, s, tn.ID, store.ConnectionMicrosoft)
	c2 := mkConnection(t, s, tn.ID, store.ConnectionGoogle)
	u := mkUser(t, s, tn.ID, "a@acme.test")
	v := mkUser(t, s, tn.ID, "b@acme.test")

	l := mkLink(t, s, tn.ID, c.ID, "tid:oid-1", u.ID)
	got, err := s.LinkByKey(ctx(t), tn.ID, c.ID, l.Issuer, l.Subject)
	wantErr(t, "LinkByKey", err, nil)
	mustEqual(t, "link", l, got)

	// The key is unique: the same upstream account cannot link to a second user.
	again := *l
	again.UserID = v.ID
	wantErr(t, "CreateLink same key", s.CreateLink(ctx(t), &again), store.ErrConflict)
	// Same subject at another issuer or connection is another key.
	other := *l
	other.Issuer = "https://login.example.com/other/v2.0"
	wantErr(t, "CreateLink other issuer", s.CreateLink(ctx(t), &other), nil)
	mkLink(t, s, tn.ID, c2.ID, "tid:oid-1", u.ID)

	// Missing user or connection.
	orphan := *l
	orphan.Subject, orphan.UserID = "x", "no-such-user"
	wantErr(t, "CreateLink missing user", s.CreateLink(ctx(t), &orphan), store.ErrNotFound)
	orphan.UserID, orphan.ConnectionID = u.ID, "no-such-conn"
	wantErr(t, "CreateLink missing connection", s.CreateLink(ctx(t), &orphan), store.ErrNotFound)

	list, err := s.ListUserLinks(ctx(t), tn.ID, u.ID)
	wantErr(t, "ListUserLinks", err, nil)
	if len(list) != 3 {
		t.Fatalf("ListUserLinks: got %d links, want 3", len(list))
	}
	if none, _ := s.ListUserLinks(ctx(t), tn.ID, v.ID); len(none) != 0 {
		t.Fatalf("ListUserLinks of a user without links: %+v", none)
	}

	wantErr(t, "TouchLink", s.TouchLink(ctx(t), tn.ID, c.ID, l.Issuer, l.Subject, t0.Add(time.Hour)), nil)
	got, _ = s.LinkByKey(ctx(t), tn.ID, c.ID, l.Issuer, l.Subject)
	if !got.LastUsedAt.Equal(t0.Add(time.Hour)) || !got.CreatedAt.Equal(l.CreatedAt) {
		t.Fatalf("TouchLink: %+v", got)
	}
	wantErr(t, "TouchLink missing", s.TouchLink(ctx(t), tn.ID, c.ID, l.Issuer, "nope", t0), store.ErrNotFound)

	// Only the owner can delete a link.
	wantErr(t, "DeleteLink by another user", s.DeleteLink(ctx(t), tn.ID, v.ID, c.ID, l.Issuer, l.Subject), store.ErrNotFound)
	wantErr(t, "DeleteLink", s.DeleteLink(ctx(t), tn.ID, u.ID, c.ID, l.Issuer, l.Subject), nil)
	_, err = s.LinkByKey(ctx(t), tn.ID, c.ID, l.Issuer, l.Subject)
	wantErr(t, "LinkByKey after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteLink twice", s.DeleteLink(ctx(t), tn.ID, u.ID, c.ID, l.Issuer, l.Subject), store.ErrNotFound)
}

func testFederationStates(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	c := mkConnection(t, s, tn.ID, store.ConnectionOIDC)
	c2 := mkConnection(t, s, tn.ID, store.ConnectionGoogle)
	mk := func(v string, ttl time.Duration) {
		t.Helper()
		wantErr(t, "CreateFederationState", s.CreateFederationState(ctx(t), &store.FederationState{
			TenantID: tn.ID, Hash: hash(v), ConnectionID: c.ID, CreatedAt: t0, ExpiresAt: t0.Add(ttl)}), nil)
	}
	mk("good", 10*time.Minute)
	mk("old", time.Minute)
	wantErr(t, "CreateFederationState duplicate", s.CreateFederationState(ctx(t), &store.FederationState{
		TenantID: tn.ID, Hash: hash("good"), ConnectionID: c.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}), store.ErrConflict)

	wantErr(t, "consume via another connection", s.ConsumeFederationState(ctx(t), tn.ID, c2.ID, hash("good"), t0), store.ErrNotFound)
	wantErr(t, "consume unknown", s.ConsumeFederationState(ctx(t), tn.ID, c.ID, hash("nope"), t0), store.ErrNotFound)
	wantErr(t, "consume", s.ConsumeFederationState(ctx(t), tn.ID, c.ID, hash("good"), t0), nil)
	wantErr(t, "consume again", s.ConsumeFederationState(ctx(t), tn.ID, c.ID, hash("good"), t0), store.ErrAlreadyUsed)
	wantErr(t, "consume expired", s.ConsumeFederationState(ctx(t), tn.ID, c.ID, hash("old"), t0.Add(time.Minute)), store.ErrExpired)

	// Exactly one of many racers wins.
	mk("race", time.Hour)
	var wins, used atomic.Int32
	var wg sync.WaitGroup
	for range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := s.ConsumeFederationState(ctx(t), tn.ID, c.ID, hash("race"), t0); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrAlreadyUsed):
				used.Add(1)
			default:
				t.Errorf("racer: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || used.Load() != racers-1 {
		t.Fatalf("racers: %d won, %d saw already used", wins.Load(), used.Load())
	}

	n, err := s.DeleteExpiredFederationStates(ctx(t), t0.Add(2*time.Minute))
	wantErr(t, "DeleteExpiredFederationStates", err, nil)
	if n != 1 {
		t.Fatalf("DeleteExpiredFederationStates removed %d, want 1 (the expired state)", n)
	}
	wantErr(t, "consume deleted", s.ConsumeFederationState(ctx(t), tn.ID, c.ID, hash("old"), t0), store.ErrNotFound)
}

func testFederatedSessions(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	c := mkConnection(t, s, tn.ID, store.ConnectionGoogle)
	c2 := mkConnection(t, s, tn.ID, store.ConnectionOIDC)

	wantErr(t, "RecordFederatedLogin", s.RecordFederatedLogin(ctx(t), tn.ID, "ar-1", c.ID, t0), nil)
	wantErr(t, "RecordFederatedLogin 2", s.RecordFederatedLogin(ctx(t), tn.ID, "ar-2", c.ID, t0), nil)
	// A retried sign-in of the same request through another connection wins.
	wantErr(t, "RecordFederatedLogin 3", s.RecordFederatedLogin(ctx(t), tn.ID, "ar-3", c.ID, t0), nil)
	wantErr(t, "RecordFederatedLogin 3 again", s.RecordFederatedLogin(ctx(t), tn.ID, "ar-3", c2.ID, t0), nil)
	wantErr(t, "RecordFederatedLogin unknown connection", s.RecordFederatedLogin(ctx(t), tn.ID, "ar-9", "nope", t0), store.ErrNotFound)

	wantErr(t, "Attach", s.AttachFederatedSession(ctx(t), tn.ID, "ar-1", "sess-1"), nil)
	wantErr(t, "Attach twice", s.AttachFederatedSession(ctx(t), tn.ID, "ar-1", "sess-x"), store.ErrNotFound)
	wantErr(t, "Attach not federated", s.AttachFederatedSession(ctx(t), tn.ID, "ar-password", "sess-p"), store.ErrNotFound)
	wantErr(t, "Attach 3", s.AttachFederatedSession(ctx(t), tn.ID, "ar-3", "sess-3"), nil)
	// Once attached, the record no longer moves.
	wantErr(t, "RecordFederatedLogin after attach", s.RecordFederatedLogin(ctx(t), tn.ID, "ar-1", c2.ID, t0), nil)

	ids, err := s.ConnectionSessionIDs(ctx(t), tn.ID, c.ID)
	wantErr(t, "ConnectionSessionIDs", err, nil)
	mustEqual(t, "sessions of c", []string{"sess-1"}, ids)
	ids, _ = s.ConnectionSessionIDs(ctx(t), tn.ID, c2.ID)
	mustEqual(t, "sessions of c2", []string{"sess-3"}, ids)

	// Unfinished records (ar-2) are cleaned up; finished ones stay.
	n, err := s.DeleteExpiredFederationStates(ctx(t), t0.Add(time.Hour))
	wantErr(t, "DeleteExpiredFederationStates", err, nil)
	if n != 1 {
		t.Fatalf("DeleteExpiredFederationStates removed %d, want 1", n)
	}
	wantErr(t, "Attach cleaned", s.AttachFederatedSession(ctx(t), tn.ID, "ar-2", "sess-2"), store.ErrNotFound)
}

// testFederationIsolation: tenant B cannot see or change tenant A's
// connections, links, states or session records with A's identifiers.
func testFederationIsolation(t *testing.T, s store.Store) {
	a := mkTenant(t, s, "alpha")
	b := mkTenant(t, s, "bravo")
	ca := mkConnection(t, s, a.ID, store.ConnectionGoogle)
	ua := mkUser(t, s, a.ID, "a@alpha.test")
	ub := mkUser(t, s, b.ID, "b@bravo.test")
	la := mkLink(t, s, a.ID, ca.ID, "sub-a", ua.ID)
	wantErr(t, "state", s.CreateFederationState(ctx(t), &store.FederationState{
		TenantID: a.ID, Hash: hash("st-a"), ConnectionID: ca.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}), nil)
	wantErr(t, "record", s.RecordFederatedLogin(ctx(t), a.ID, "ar-a", ca.ID, t0), nil)

	_, err := s.ConnectionByID(ctx(t), b.ID, ca.ID)
	wantErr(t, "B reads A's connection", err, store.ErrNotFound)
	if l, _ := s.ListConnections(ctx(t), b.ID); len(l) != 0 {
		t.Fatalf("B lists A's connections: %+v", l)
	}
	hijack := *ca
	hijack.TenantID, hijack.Enabled = b.ID, false
	wantErr(t, "B updates A's connection", s.UpdateConnection(ctx(t), &hijack), store.ErrNotFound)
	wantErr(t, "B deletes A's connection", s.DeleteConnection(ctx(t), b.ID, ca.ID), store.ErrNotFound)

	_, err = s.LinkByKey(ctx(t), b.ID, ca.ID, la.Issuer, la.Subject)
	wantErr(t, "B reads A's link", err, store.ErrNotFound)
	if l, _ := s.ListUserLinks(ctx(t), b.ID, ua.ID); len(l) != 0 {
		t.Fatalf("B lists A's links: %+v", l)
	}
	wantErr(t, "B touches A's link", s.TouchLink(ctx(t), b.ID, ca.ID, la.Issuer, la.Subject, t0), store.ErrNotFound)
	wantErr(t, "B deletes A's link", s.DeleteLink(ctx(t), b.ID, ua.ID, ca.ID, la.Issuer, la.Subject), store.ErrNotFound)
	// B cannot link its user through A's connection, nor A's user.
	cross := &store.Link{TenantID: b.ID, ConnectionID: ca.ID, Issuer: "i", Subject: "s", UserID: ub.ID, CreatedAt: t0, LastUsedAt: t0}
	wantErr(t, "B links through A's connection", s.CreateLink(ctx(t), cross), store.ErrNotFound)

	wantErr(t, "B consumes A's state", s.ConsumeFederationState(ctx(t), b.ID, ca.ID, hash("st-a"), t0), store.ErrNotFound)
	wantErr(t, "B attaches to A's login", s.AttachFederatedSession(ctx(t), b.ID, "ar-a", "sess-b"), store.ErrNotFound)
	if ids, _ := s.ConnectionSessionIDs(ctx(t), b.ID, ca.ID); len(ids) != 0 {
		t.Fatalf("B lists A's sessions: %v", ids)
	}
	wantErr(t, "B records a login through A's connection", s.RecordFederatedLogin(ctx(t), b.ID, "ar-b", ca.ID, t0), store.ErrNotFound)

	// A is untouched.
	got, err := s.ConnectionByID(ctx(t), a.ID, ca.ID)
	wantErr(t, "A reads its connection", err, nil)
	mustEqual(t, "A's connection", ca, got)
	gotL, err := s.LinkByKey(ctx(t), a.ID, ca.ID, la.Issuer, la.Subject)
	wantErr(t, "A reads its link", err, nil)
	mustEqual(t, "A's link", la, gotL)
	wantErr(t, "A consumes its state", s.ConsumeFederationState(ctx(t), a.ID, ca.ID, hash("st-a"), t0), nil)
	wantErr(t, "A attaches", s.AttachFederatedSession(ctx(t), a.ID, "ar-a", "sess-a"), nil)
}
