package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// snapshot is everything tenant A holds, read through tenant A.
type snapshot struct {
	User     *store.User
	Client   *store.Client
	Session  *store.Session
	Refresh  *store.RefreshToken
	Request  *store.AuthRequest
	Keys     []*store.SigningKey
	Events   []*store.AuditEvent
	Sessions []*store.Session
	Active   bool
}

func takeSnapshot(t *testing.T, s store.Store, a *world, reqID string) snapshot {
	t.Helper()
	var sn snapshot
	var err error
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("snapshot %s: %v", what, err)
		}
	}
	sn.User, err = s.UserByID(ctx(t), a.tenant.ID, a.user.ID)
	must("user", err)
	sn.Client, err = s.ClientByID(ctx(t), a.tenant.ID, a.client.ID)
	must("client", err)
	sn.Session, err = s.SessionByID(ctx(t), a.tenant.ID, a.session.ID)
	must("session", err)
	sn.Refresh, err = s.RefreshTokenByHash(ctx(t), a.tenant.ID, a.refresh.Hash)
	must("refresh", err)
	sn.Request, err = s.AuthRequestByID(ctx(t), a.tenant.ID, reqID)
	must("request", err)
	sn.Keys, err = s.ListSigningKeys(ctx(t), a.tenant.ID, t0)
	must("keys", err)
	sn.Events, err = s.ListAuditEvents(ctx(t), a.tenant.ID, store.AuditQuery{})
	must("events", err)
	sn.Sessions, err = s.ListUserSessions(ctx(t), a.tenant.ID, a.user.ID)
	must("sessions", err)
	sn.Active, err = s.AccessTokenActive(ctx(t), a.tenant.ID, store.AccessTokenRef{TokenID: "at-a", FamilyID: "fam-1", SessionID: a.session.ID}, t0)
	must("active", err)
	return sn
}

// testTenantIsolation creates everything in tenant A and then drives every
// tenant-scoped method through tenant B with A's identifiers: reads find
// nothing, writes are ErrNotFound, and A reads back exactly as before.
func testTenantIsolation(t *testing.T, s store.Store) {
	a := mkWorld(t, s, "alpha")
	b := mkWorld(t, s, "bravo")
	A, B := a.tenant.ID, b.tenant.ID
	req := mkAuthRequest(t, s, A, a.client.ID)
	complete(t, s, req, a.user.ID, a.session.ID, "code-a")
	mkKey(t, s, A, "kid-a", t0)
	mkKey(t, s, B, "kid-b", t0)
	mkActionToken(t, s, A, a.user.ID, store.ActionPasswordReset, "action-a")
	wantErr(t, "AppendAuditEvent", s.AppendAuditEvent(ctx(t), &store.AuditEvent{TenantID: A, Type: "login.succeeded", UserID: a.user.ID, CreatedAt: t0}), nil)

	before := takeSnapshot(t, s, a, req.ID)
	if !before.Active {
		t.Fatal("tenant A's access token inactive before the test")
	}
	now := t0.Add(time.Minute)
	nf := store.ErrNotFound

	// Users.
	_, err := s.UserByID(ctx(t), B, a.user.ID)
	wantErr(t, "UserByID via B", err, nf)
	_, err = s.UserByEmail(ctx(t), B, a.user.Email)
	wantErr(t, "UserByEmail via B", err, nf)
	users, err := s.ListUsers(ctx(t), B)
	wantErr(t, "ListUsers via B", err, nil)
	mustEqual(t, "ListUsers via B", []*store.User{b.user}, users)
	u := *a.user
	u.TenantID, u.Name, u.Disabled = B, "hijacked", true
	wantErr(t, "UpdateUser via B", s.UpdateUser(ctx(t), &u), nf)
	wantErr(t, "SetPassword via B", s.SetPassword(ctx(t), B, a.user.ID, "h", now), nf)
	// The same email may exist in another tenant.
	same := &store.User{TenantID: B, Email: a.user.Email, Role: store.RoleAgent, CreatedAt: t0, UpdatedAt: t0}
	wantErr(t, "CreateUser(A's email in B)", s.CreateUser(ctx(t), same), nil)

	// Clients.
	_, err = s.ClientByID(ctx(t), B, a.client.ID)
	wantErr(t, "ClientByID via B", err, nf)
	clients, err := s.ListClients(ctx(t), B)
	wantErr(t, "ListClients via B", err, nil)
	mustEqual(t, "ListClients via B", []*store.Client{b.client}, clients)
	c := *a.client
	c.TenantID, c.RedirectURIs = B, []string{"https://evil.example/cb"}
	wantErr(t, "UpdateClient via B", s.UpdateClient(ctx(t), &c), nf)
	wantErr(t, "DeleteClient via B", s.DeleteClient(ctx(t), B, a.client.ID), nf)

	// Auth requests.
	_, err = s.AuthRequestByID(ctx(t), B, req.ID)
	wantErr(t, "AuthRequestByID via B", err, nf)
	r := *req
	r.TenantID, r.UserID = B, b.user.ID
	wantErr(t, "CompleteAuthRequest via B", s.CompleteAuthRequest(ctx(t), &r, now), nf)
	wantErr(t, "SetAuthCode via B", s.SetAuthCode(ctx(t), B, req.ID, hash("code-b")), nf)
	_, err = s.AuthRequestByCode(ctx(t), B, hash("code-a"))
	wantErr(t, "AuthRequestByCode via B", err, nf)
	_, err = s.ConsumeAuthCode(ctx(t), B, hash("code-a"), "at-b", "fam-b", now)
	wantErr(t, "ConsumeAuthCode via B", err, nf)
	wantErr(t, "DeleteAuthRequest via B", s.DeleteAuthRequest(ctx(t), B, req.ID), nf)

	// Sessions.
	_, err = s.SessionByID(ctx(t), B, a.session.ID)
	wantErr(t, "SessionByID via B", err, nf)
	sessions, err := s.ListUserSessions(ctx(t), B, a.user.ID)
	wantErr(t, "ListUserSessions via B", err, nil)
	if len(sessions) != 0 {
		t.Fatalf("ListUserSessions via B found %d sessions of A", len(sessions))
	}
	wantErr(t, "TouchSession via B", s.TouchSession(ctx(t), B, a.session.ID, now, time.Hour), nf)
	wantErr(t, "EndSession via B", s.EndSession(ctx(t), B, a.session.ID, "evil", now), nf)

	// Tokens.
	_, err = s.RefreshTokenByHash(ctx(t), B, a.refresh.Hash)
	wantErr(t, "RefreshTokenByHash via B", err, nf)
	next := newRefresh(B, b.client.ID, b.user.ID, b.session.ID, "", "rt-stolen")
	wantErr(t, "RotateRefreshToken via B", s.RotateRefreshToken(ctx(t), B, a.refresh.Hash, next, now), nf)
	assertAbsent(t, s, B, "rt-stolen")
	wantErr(t, "RevokeRefreshFamily via B", s.RevokeRefreshFamily(ctx(t), B, "fam-a-only", now), nf)
	// fam-1 exists in both tenants: revoking B's must not touch A's.
	wantErr(t, "RevokeRefreshFamily(B's fam-1)", s.RevokeRefreshFamily(ctx(t), B, "fam-1", now), nil)
	// Access tokens are not stored, so revoking A's jti through B is accepted
	// but recorded for B only.
	wantErr(t, "RevokeAccessToken via B", s.RevokeAccessToken(ctx(t), B, "at-a", now.Add(time.Hour)), nil)
	active, err := s.AccessTokenActive(ctx(t), B, store.AccessTokenRef{TokenID: "at-x", SessionID: a.session.ID}, now)
	wantErr(t, "AccessTokenActive via B", err, nil)
	if active {
		t.Fatal("A's session counts as active through B")
	}

	// Keys.
	keys, err := s.ListSigningKeys(ctx(t), B, t0)
	wantErr(t, "ListSigningKeys via B", err, nil)
	if len(keys) != 1 || keys[0].ID != "kid-b" {
		t.Fatalf("ListSigningKeys via B: %+v", keys)
	}
	wantErr(t, "RetireSigningKeys via B keeping A's key", s.RetireSigningKeys(ctx(t), B, "kid-a", now, now), nf)
	wantErr(t, "RetireSigningKeys(B's key)", s.RetireSigningKeys(ctx(t), B, "kid-b", now, now), nil)

	// Action tokens.
	_, err = s.ConsumeActionToken(ctx(t), B, store.ActionPasswordReset, hash("action-a"), now)
	wantErr(t, "ConsumeActionToken via B", err, nf)

	// Audit.
	events, err := s.ListAuditEvents(ctx(t), B, store.AuditQuery{})
	wantErr(t, "ListAuditEvents via B", err, nil)
	if len(events) != 0 {
		t.Fatalf("ListAuditEvents via B found %d events of A", len(events))
	}

	// Nothing of A changed, and A's single-use values still work.
	mustEqual(t, "tenant A", before, takeSnapshot(t, s, a, req.ID))
	_, err = s.ConsumeAuthCode(ctx(t), A, hash("code-a"), "at-a", "fam-1", now)
	wantErr(t, "ConsumeAuthCode in A", err, nil)
	_, err = s.ConsumeActionToken(ctx(t), A, store.ActionPasswordReset, hash("action-a"), now)
	wantErr(t, "ConsumeActionToken in A", err, nil)
	wantErr(t, "RotateRefreshToken in A", s.RotateRefreshToken(ctx(t), A, a.refresh.Hash, newRefresh(A, a.client.ID, a.user.ID, a.session.ID, "", "rt-a-2"), now), nil)
}
