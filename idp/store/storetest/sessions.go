package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func testSessions(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	u := mkUser(t, s, tn.ID, "zoe@example.com")
	u2 := mkUser(t, s, tn.ID, "amy@example.com")
	s1 := mkSession(t, s, tn.ID, u.ID)
	got, err := s.SessionByID(ctx(t), tn.ID, s1.ID)
	wantErr(t, "SessionByID", err, nil)
	mustEqual(t, "SessionByID", s1, got)
	if !got.Active(t0) {
		t.Fatal("fresh session not active at t0")
	}

	// A newer session, with no AMR and an empty IP.
	s2 := &store.Session{
		TenantID: tn.ID, UserID: u.ID, AuthTime: t0, AMR: []string{},
		CreatedAt: t0, LastSeenAt: t0, IdleExpiresAt: t0.Add(time.Hour), ExpiresAt: t0.Add(2 * time.Hour),
	}
	wantErr(t, "CreateSession(empty id)", s.CreateSession(ctx(t), s2), nil)
	if s2.ID == "" {
		t.Fatal("CreateSession did not fill an empty ID")
	}
	s2.AMR = nil
	got, _ = s.SessionByID(ctx(t), tn.ID, s2.ID)
	mustEqual(t, "second session", s2, got)
	mkSession(t, s, tn.ID, u2.ID)

	wantErr(t, "CreateSession(same id)", s.CreateSession(ctx(t), s1), store.ErrConflict)
	bad := *s1
	bad.ID, bad.UserID = store.NewID(), "no-such-user"
	wantErr(t, "CreateSession(unknown user)", s.CreateSession(ctx(t), &bad), store.ErrNotFound)
	_, err = s.SessionByID(ctx(t), tn.ID, "nope")
	wantErr(t, "SessionByID(unknown)", err, store.ErrNotFound)

	list, err := s.ListUserSessions(ctx(t), tn.ID, u.ID)
	wantErr(t, "ListUserSessions", err, nil)
	mustEqual(t, "ListUserSessions (newest first)", []*store.Session{s2, s1}, list)

	// Ended sessions stay listed (the account page shows them).
	wantErr(t, "EndSession", s.EndSession(ctx(t), tn.ID, s2.ID, "logout", t0.Add(time.Minute)), nil)
	list, _ = s.ListUserSessions(ctx(t), tn.ID, u.ID)
	if len(list) != 2 || list[0].EndedAt == nil {
		t.Fatalf("ListUserSessions after EndSession: %+v", list)
	}
	list, err = s.ListUserSessions(ctx(t), tn.ID, "nobody")
	wantErr(t, "ListUserSessions(unknown user)", err, nil)
	if len(list) != 0 {
		t.Fatalf("sessions of an unknown user: %+v", list)
	}
}

func testTouchSession(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	u := mkUser(t, s, tn.ID, "zoe@example.com")
	ss := mkSession(t, s, tn.ID, u.ID) // idle until t0+30m, over at t0+8h
	idle := 30 * time.Minute

	now := t0.Add(10 * time.Minute)
	wantErr(t, "TouchSession", s.TouchSession(ctx(t), tn.ID, ss.ID, now, idle), nil)
	want := *ss
	want.LastSeenAt, want.IdleExpiresAt = now, now.Add(idle)
	got, _ := s.SessionByID(ctx(t), tn.ID, ss.ID)
	mustEqual(t, "after TouchSession", &want, got)

	// Touches closer together than idle keep it alive (idle until t0+40m
	// now), but the idle deadline never passes ExpiresAt.
	for now = t0.Add(39 * time.Minute); now.Before(ss.ExpiresAt.Add(-idle)); now = now.Add(idle - time.Minute) {
		wantErr(t, "TouchSession(step)", s.TouchSession(ctx(t), tn.ID, ss.ID, now, idle), nil)
	}
	wantErr(t, "TouchSession(last)", s.TouchSession(ctx(t), tn.ID, ss.ID, now, idle), nil)
	got, _ = s.SessionByID(ctx(t), tn.ID, ss.ID)
	if !got.IdleExpiresAt.Equal(ss.ExpiresAt) || !got.LastSeenAt.Equal(now) || !got.ExpiresAt.Equal(ss.ExpiresAt) {
		t.Fatalf("touch near the end: IdleExpiresAt %v (want ExpiresAt %v), LastSeenAt %v (want %v)", got.IdleExpiresAt, ss.ExpiresAt, got.LastSeenAt, now)
	}

	// At ExpiresAt: expired, nothing changes.
	before := got
	wantErr(t, "TouchSession(at ExpiresAt)", s.TouchSession(ctx(t), tn.ID, ss.ID, ss.ExpiresAt, idle), store.ErrExpired)
	got, _ = s.SessionByID(ctx(t), tn.ID, ss.ID)
	mustEqual(t, "after expired touch", before, got)

	// Idle-expired: a touch at IdleExpiresAt fails.
	s2 := mkSession(t, s, tn.ID, u.ID)
	wantErr(t, "TouchSession(at IdleExpiresAt)", s.TouchSession(ctx(t), tn.ID, s2.ID, s2.IdleExpiresAt, idle), store.ErrExpired)
	wantErr(t, "TouchSession(just before IdleExpiresAt)", s.TouchSession(ctx(t), tn.ID, s2.ID, s2.IdleExpiresAt.Add(-time.Microsecond), idle), nil)

	// Ended: fails.
	s3 := mkSession(t, s, tn.ID, u.ID)
	wantErr(t, "EndSession", s.EndSession(ctx(t), tn.ID, s3.ID, "logout", t0), nil)
	wantErr(t, "TouchSession(ended)", s.TouchSession(ctx(t), tn.ID, s3.ID, t0.Add(time.Second), idle), store.ErrExpired)
	wantErr(t, "TouchSession(unknown)", s.TouchSession(ctx(t), tn.ID, "nope", t0, idle), store.ErrNotFound)
}

func testEndSession(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	// A second token of the session (another client's family) and a token of
	// another session that must survive.
	c2 := mkClient(t, s, w.tenant.ID, "other")
	rt2 := mkRefresh(t, s, w.tenant.ID, c2.ID, w.user.ID, w.session.ID, "fam-2", "rt-2")
	other := mkSession(t, s, w.tenant.ID, w.user.ID)
	rt3 := mkRefresh(t, s, w.tenant.ID, w.client.ID, w.user.ID, other.ID, "fam-3", "rt-3")

	end := t0.Add(5 * time.Minute)
	wantErr(t, "EndSession", s.EndSession(ctx(t), w.tenant.ID, w.session.ID, "logout", end), nil)
	want := *w.session
	want.EndedAt, want.EndReason = ptr(end), "logout"
	got, _ := s.SessionByID(ctx(t), w.tenant.ID, w.session.ID)
	mustEqual(t, "ended session", &want, got)
	if got.Active(end) {
		t.Fatal("ended session is active")
	}

	for _, rt := range []*store.RefreshToken{w.refresh, rt2} {
		got, _ := s.RefreshTokenByHash(ctx(t), w.tenant.ID, rt.Hash)
		if got.RevokedAt == nil || !got.RevokedAt.Equal(end) {
			t.Fatalf("refresh token of the ended session: RevokedAt %v, want %v", got.RevokedAt, end)
		}
	}
	got3, _ := s.RefreshTokenByHash(ctx(t), w.tenant.ID, rt3.Hash)
	mustEqual(t, "token of another session", rt3, got3)

	for _, ref := range []store.AccessTokenRef{
		{TokenID: "at-1", SessionID: w.session.ID},
		{TokenID: "at-2", FamilyID: "fam-1", SessionID: w.session.ID},
		{TokenID: "at-3", FamilyID: "fam-2"}, // family only: revoked with the session's tokens
	} {
		active, err := s.AccessTokenActive(ctx(t), w.tenant.ID, ref, end)
		wantErr(t, "AccessTokenActive", err, nil)
		if active {
			t.Fatalf("access token %+v active after EndSession", ref)
		}
	}
	active, _ := s.AccessTokenActive(ctx(t), w.tenant.ID, store.AccessTokenRef{TokenID: "at-4", FamilyID: "fam-3", SessionID: other.ID}, end)
	if !active {
		t.Fatal("access token of another session became inactive")
	}
	err := s.RotateRefreshToken(ctx(t), w.tenant.ID, w.refresh.Hash, newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-next"), end)
	wantErr(t, "RotateRefreshToken(token of ended session)", err, store.ErrAlreadyUsed)

	// Ending an ended session is not an error and keeps the first end.
	wantErr(t, "EndSession(again)", s.EndSession(ctx(t), w.tenant.ID, w.session.ID, "admin", end.Add(time.Hour)), nil)
	got, _ = s.SessionByID(ctx(t), w.tenant.ID, w.session.ID)
	mustEqual(t, "session ended twice", &want, got)
	wantErr(t, "EndSession(unknown)", s.EndSession(ctx(t), w.tenant.ID, "nope", "logout", end), store.ErrNotFound)

	// A refresh token created for an already-ended session cannot be rotated.
	late := mkRefresh(t, s, w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "fam-late", "rt-late")
	err = s.RotateRefreshToken(ctx(t), w.tenant.ID, late.Hash, newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-late-next"), end)
	wantErr(t, "RotateRefreshToken(session ended)", err, store.ErrExpired)
}
