package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// testDeleteStaleRows: rows past their use go, current ones stay, in
// every tenant.
func testDeleteStaleRows(t *testing.T, s store.Store) {
	a := mkWorld(t, s, "acme")
	b := mkWorld(t, s, "beta")
	cutoff := t0.Add(30 * 24 * time.Hour)

	// Sessions: a's world session ends before the cutoff; b's stays current.
	wantErr(t, "EndSession", s.EndSession(ctx(t), a.tenant.ID, a.session.ID, "logout", t0), nil)
	fresh := &store.Session{ID: store.NewID(), TenantID: b.tenant.ID, UserID: b.user.ID, AuthTime: cutoff, CreatedAt: cutoff,
		LastSeenAt: cutoff, IdleExpiresAt: cutoff.Add(time.Hour), ExpiresAt: cutoff.Add(12 * time.Hour)}
	wantErr(t, "CreateSession(fresh)", s.CreateSession(ctx(t), fresh), nil)

	// Action tokens: one expired, one current.
	old := &store.ActionToken{Hash: hash("old-link"), TenantID: a.tenant.ID, Kind: store.ActionSetupOwner, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	cur := &store.ActionToken{Hash: hash("cur-link"), TenantID: b.tenant.ID, Kind: store.ActionSetupOwner, CreatedAt: cutoff, ExpiresAt: cutoff.Add(time.Hour)}
	wantErr(t, "CreateActionToken(old)", s.CreateActionToken(ctx(t), old), nil)
	wantErr(t, "CreateActionToken(cur)", s.CreateActionToken(ctx(t), cur), nil)

	// Second-factor failures: one old, one within the window.
	_, err := s.ReserveFactorAttempt(ctx(t), a.tenant.ID, a.user.ID, t0, t0.Add(-time.Hour), 10)
	wantErr(t, "ReserveFactorAttempt(old)", err, nil)
	_, err = s.ReserveFactorAttempt(ctx(t), b.tenant.ID, b.user.ID, cutoff, cutoff.Add(-time.Hour), 10)
	wantErr(t, "ReserveFactorAttempt(cur)", err, nil)

	n, err := s.DeleteStaleRows(ctx(t), cutoff)
	wantErr(t, "DeleteStaleRows", err, nil)
	// a's ended session and b's world session (expired at t0+7d), the old
	// link and the old failure.
	if n != 4 {
		t.Fatalf("DeleteStaleRows removed %d rows, want 4", n)
	}
	_, err = s.SessionByID(ctx(t), a.tenant.ID, a.session.ID)
	wantErr(t, "SessionByID(ended long ago)", err, store.ErrNotFound)
	_, err = s.SessionByID(ctx(t), b.tenant.ID, fresh.ID)
	wantErr(t, "SessionByID(current)", err, nil)
	_, err = s.ConsumeActionToken(ctx(t), a.tenant.ID, store.ActionSetupOwner, hash("old-link"), cutoff)
	wantErr(t, "ConsumeActionToken(swept)", err, store.ErrNotFound)
	_, err = s.ConsumeActionToken(ctx(t), b.tenant.ID, store.ActionSetupOwner, hash("cur-link"), cutoff)
	wantErr(t, "ConsumeActionToken(current)", err, nil)
	if got, _ := s.FactorFailures(ctx(t), a.tenant.ID, a.user.ID, t0.Add(-time.Hour)); got != 0 {
		t.Fatalf("old factor failure kept: %d", got)
	}
	if got, _ := s.FactorFailures(ctx(t), b.tenant.ID, b.user.ID, cutoff.Add(-time.Hour)); got != 1 {
		t.Fatalf("current factor failure removed: %d", got)
	}
	// Refresh tokens of a swept session no longer refresh (its session is gone).
	next := newRefresh(a.tenant.ID, a.client.ID, a.user.ID, a.session.ID, "", "acme-rt-2")
	err = s.RotateRefreshToken(ctx(t), a.tenant.ID, a.refresh.Hash, next, t0.Add(time.Minute))
	if err == nil {
		t.Fatal("a refresh token of a swept session rotated")
	}
}
