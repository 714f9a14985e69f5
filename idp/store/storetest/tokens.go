package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func testRefreshTokens(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	got, err := s.RefreshTokenByHash(ctx(t), w.tenant.ID, w.refresh.Hash)
	wantErr(t, "RefreshTokenByHash", err, nil)
	mustEqual(t, "RefreshTokenByHash", w.refresh, got)
	if got.UsedAt != nil || got.RevokedAt != nil {
		t.Fatalf("fresh token used or revoked: %+v", got)
	}
	_, err = s.RefreshTokenByHash(ctx(t), w.tenant.ID, hash("unknown"))
	wantErr(t, "RefreshTokenByHash(unknown)", err, store.ErrNotFound)

	// A client_credentials-style token without session, with empty lists.
	bare := &store.RefreshToken{
		TenantID: w.tenant.ID, Hash: hash("bare"), FamilyID: "fam-bare", ClientID: w.client.ID, UserID: w.user.ID,
		Scopes: []string{}, AuthTime: t0, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
	}
	wantErr(t, "CreateRefreshToken(empty id)", s.CreateRefreshToken(ctx(t), bare), nil)
	if bare.ID == "" {
		t.Fatal("CreateRefreshToken did not fill an empty ID")
	}
	bare.Scopes = nil
	got, _ = s.RefreshTokenByHash(ctx(t), w.tenant.ID, hash("bare"))
	mustEqual(t, "bare token", bare, got)

	dup := newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "fam-x", "acme-rt-1")
	wantErr(t, "CreateRefreshToken(same hash)", s.CreateRefreshToken(ctx(t), dup), store.ErrConflict)
	dup = newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "fam-x", "fresh")
	dup.ID = w.refresh.ID
	wantErr(t, "CreateRefreshToken(same id)", s.CreateRefreshToken(ctx(t), dup), store.ErrConflict)
}

func testRotateRefreshToken(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	now := t0.Add(time.Minute)

	next := newRefresh("", w.client.ID, w.user.ID, w.session.ID, "", "rt-2")
	next.CreatedAt = now
	wantErr(t, "RotateRefreshToken", s.RotateRefreshToken(ctx(t), w.tenant.ID, w.refresh.Hash, next, now), nil)
	if next.TenantID != w.tenant.ID || next.FamilyID != "fam-1" {
		t.Fatalf("RotateRefreshToken set TenantID %q, FamilyID %q; want %q, fam-1", next.TenantID, next.FamilyID, w.tenant.ID)
	}
	old := *w.refresh
	old.UsedAt = ptr(now)
	got, _ := s.RefreshTokenByHash(ctx(t), w.tenant.ID, w.refresh.Hash)
	mustEqual(t, "old token after rotation", &old, got)
	got, err := s.RefreshTokenByHash(ctx(t), w.tenant.ID, hash("rt-2"))
	wantErr(t, "RefreshTokenByHash(next)", err, nil)
	mustEqual(t, "next token", next, got)

	// The chain goes on from the new token.
	next3 := newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-3")
	wantErr(t, "RotateRefreshToken(second)", s.RotateRefreshToken(ctx(t), w.tenant.ID, hash("rt-2"), next3, now.Add(time.Minute)), nil)

	wantErr(t, "RotateRefreshToken(unknown)", s.RotateRefreshToken(ctx(t), w.tenant.ID, hash("unknown"), newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-u"), now), store.ErrNotFound)
	assertAbsent(t, s, w.tenant.ID, "rt-u")

	// A next token whose hash exists is a conflict, and the old one stays unused.
	clash := newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-2")
	wantErr(t, "RotateRefreshToken(next hash taken)", s.RotateRefreshToken(ctx(t), w.tenant.ID, hash("rt-3"), clash, now.Add(2*time.Minute)), store.ErrConflict)
	got, _ = s.RefreshTokenByHash(ctx(t), w.tenant.ID, hash("rt-3"))
	if got.UsedAt != nil {
		t.Fatal("failed rotation consumed the old token")
	}

	// A next token for another tenant is refused before anything changes.
	foreign := newRefresh("other-tenant", w.client.ID, w.user.ID, w.session.ID, "", "rt-f")
	if err := s.RotateRefreshToken(ctx(t), w.tenant.ID, hash("rt-3"), foreign, now); err == nil {
		t.Fatal("RotateRefreshToken accepted a next token of another tenant")
	}
	got, _ = s.RefreshTokenByHash(ctx(t), w.tenant.ID, hash("rt-3"))
	if got.UsedAt != nil {
		t.Fatal("refused rotation consumed the old token")
	}

	// Expired token: at ExpiresAt exactly. Nothing changes, family not revoked.
	exp := mkRefresh(t, s, w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "fam-exp", "rt-exp")
	wantErr(t, "RotateRefreshToken(at ExpiresAt)", s.RotateRefreshToken(ctx(t), w.tenant.ID, exp.Hash, newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-exp-next"), exp.ExpiresAt), store.ErrExpired)
	got, _ = s.RefreshTokenByHash(ctx(t), w.tenant.ID, exp.Hash)
	mustEqual(t, "expired token after refused rotation", exp, got)
	assertAbsent(t, s, w.tenant.ID, "rt-exp-next")

	// Session expired (absolute and idle): ErrExpired, nothing changes.
	for _, at := range []time.Time{w.session.ExpiresAt, w.session.IdleExpiresAt} {
		rt := mkRefresh(t, s, w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "fam-s"+at.String(), "rt-s"+at.String())
		wantErr(t, "RotateRefreshToken(session expired)", s.RotateRefreshToken(ctx(t), w.tenant.ID, rt.Hash, newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-s-next"+at.String()), at), store.ErrExpired)
		got, _ = s.RefreshTokenByHash(ctx(t), w.tenant.ID, rt.Hash)
		mustEqual(t, "token after refused rotation", rt, got)
		assertAbsent(t, s, w.tenant.ID, "rt-s-next"+at.String())
	}

	// A token without a session rotates without a session check.
	nos := mkRefresh(t, s, w.tenant.ID, w.client.ID, w.user.ID, "", "fam-nos", "rt-nos")
	wantErr(t, "RotateRefreshToken(no session)", s.RotateRefreshToken(ctx(t), w.tenant.ID, nos.Hash, newRefresh(w.tenant.ID, w.client.ID, w.user.ID, "", "", "rt-nos-2"), w.session.ExpiresAt), nil)
}

// Presenting a used refresh token again revokes its whole family.
func testRefreshTokenReuse(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	other := mkRefresh(t, s, w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "fam-other", "rt-other")
	now := t0.Add(time.Minute)
	wantErr(t, "RotateRefreshToken", s.RotateRefreshToken(ctx(t), w.tenant.ID, w.refresh.Hash, newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-2"), now), nil)

	reuse := now.Add(time.Minute)
	wantErr(t, "RotateRefreshToken(reuse)", s.RotateRefreshToken(ctx(t), w.tenant.ID, w.refresh.Hash, newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-evil"), reuse), store.ErrAlreadyUsed)
	assertAbsent(t, s, w.tenant.ID, "rt-evil")
	for _, v := range []string{"acme-rt-1", "rt-2"} {
		got, _ := s.RefreshTokenByHash(ctx(t), w.tenant.ID, hash(v))
		if got.RevokedAt == nil || !got.RevokedAt.Equal(reuse) {
			t.Fatalf("family member %s: RevokedAt %v, want %v", v, got.RevokedAt, reuse)
		}
	}
	// The legitimate holder of rt-2 is now refused too.
	wantErr(t, "RotateRefreshToken(revoked)", s.RotateRefreshToken(ctx(t), w.tenant.ID, hash("rt-2"), newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-3"), reuse), store.ErrAlreadyUsed)
	active, err := s.AccessTokenActive(ctx(t), w.tenant.ID, store.AccessTokenRef{TokenID: "at", FamilyID: "fam-1", SessionID: w.session.ID}, reuse)
	wantErr(t, "AccessTokenActive", err, nil)
	if active {
		t.Fatal("access token of a reused family still active")
	}

	// Used-and-expired is still reuse; other families are untouched.
	wantErr(t, "RotateRefreshToken(reuse after expiry)", s.RotateRefreshToken(ctx(t), w.tenant.ID, w.refresh.Hash, newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-late"), w.refresh.ExpiresAt.Add(time.Hour)), store.ErrAlreadyUsed)
	got, _ := s.RefreshTokenByHash(ctx(t), w.tenant.ID, other.Hash)
	mustEqual(t, "token of another family", other, got)
}

func testRevokeRefreshFamily(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	now := t0.Add(time.Minute)
	wantErr(t, "RotateRefreshToken", s.RotateRefreshToken(ctx(t), w.tenant.ID, w.refresh.Hash, newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-2"), now), nil)
	other := mkRefresh(t, s, w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "fam-other", "rt-other")

	rev := now.Add(time.Minute)
	wantErr(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx(t), w.tenant.ID, "fam-1", rev), nil)
	for _, v := range []string{"acme-rt-1", "rt-2"} {
		got, _ := s.RefreshTokenByHash(ctx(t), w.tenant.ID, hash(v))
		if got.RevokedAt == nil || !got.RevokedAt.Equal(rev) {
			t.Fatalf("family member %s: RevokedAt %v, want %v", v, got.RevokedAt, rev)
		}
	}
	wantErr(t, "RotateRefreshToken(revoked family)", s.RotateRefreshToken(ctx(t), w.tenant.ID, hash("rt-2"), newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-3"), rev), store.ErrAlreadyUsed)
	assertAbsent(t, s, w.tenant.ID, "rt-3")

	active, _ := s.AccessTokenActive(ctx(t), w.tenant.ID, store.AccessTokenRef{TokenID: "at-1", FamilyID: "fam-1"}, rev)
	if active {
		t.Fatal("access token of a revoked family still active")
	}
	active, _ = s.AccessTokenActive(ctx(t), w.tenant.ID, store.AccessTokenRef{TokenID: "at-2", FamilyID: "fam-other", SessionID: w.session.ID}, rev)
	if !active {
		t.Fatal("access token of another family became inactive")
	}
	got, _ := s.RefreshTokenByHash(ctx(t), w.tenant.ID, other.Hash)
	mustEqual(t, "token of another family", other, got)

	// Revoking again keeps the first revocation time.
	wantErr(t, "RevokeRefreshFamily(again)", s.RevokeRefreshFamily(ctx(t), w.tenant.ID, "fam-1", rev.Add(time.Hour)), nil)
	got, _ = s.RefreshTokenByHash(ctx(t), w.tenant.ID, hash("rt-2"))
	if !got.RevokedAt.Equal(rev) {
		t.Fatalf("second revocation moved RevokedAt to %v", got.RevokedAt)
	}
	// A token added to a revoked family later cannot be rotated either, and
	// presenting it marks it revoked.
	late := mkRefresh(t, s, w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "fam-1", "rt-late")
	wantErr(t, "RotateRefreshToken(token of a revoked family)", s.RotateRefreshToken(ctx(t), w.tenant.ID, late.Hash, newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-late-2"), rev), store.ErrAlreadyUsed)
	assertAbsent(t, s, w.tenant.ID, "rt-late-2")
	got, _ = s.RefreshTokenByHash(ctx(t), w.tenant.ID, late.Hash)
	if got.RevokedAt == nil || got.UsedAt != nil {
		t.Fatalf("late token of a revoked family: UsedAt %v, RevokedAt %v; want unused and revoked", got.UsedAt, got.RevokedAt)
	}

	wantErr(t, "RevokeRefreshFamily(unknown)", s.RevokeRefreshFamily(ctx(t), w.tenant.ID, "fam-unknown", rev), store.ErrNotFound)
	wantErr(t, "RevokeRefreshFamily(empty)", s.RevokeRefreshFamily(ctx(t), w.tenant.ID, "", rev), store.ErrNotFound)
}

func testAccessTokenActive(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	idle := mkSession(t, s, w.tenant.ID, w.user.ID)
	check := func(what string, ref store.AccessTokenRef, now time.Time, want bool) {
		t.Helper()
		got, err := s.AccessTokenActive(ctx(t), w.tenant.ID, ref, now)
		wantErr(t, "AccessTokenActive("+what+")", err, nil)
		if got != want {
			t.Fatalf("AccessTokenActive(%s) = %v, want %v", what, got, want)
		}
	}
	check("client credentials", store.AccessTokenRef{TokenID: "at-cc"}, t0, true)
	check("with session and family", store.AccessTokenRef{TokenID: "at-1", FamilyID: "fam-1", SessionID: w.session.ID}, t0, true)
	check("unknown session", store.AccessTokenRef{TokenID: "at-1", SessionID: "nope"}, t0, false)
	check("session at ExpiresAt", store.AccessTokenRef{TokenID: "at-1", SessionID: w.session.ID}, w.session.ExpiresAt, false)
	check("session at IdleExpiresAt", store.AccessTokenRef{TokenID: "at-1", SessionID: idle.ID}, idle.IdleExpiresAt, false)
	check("session just before IdleExpiresAt", store.AccessTokenRef{TokenID: "at-1", SessionID: idle.ID}, idle.IdleExpiresAt.Add(-time.Microsecond), true)

	wantErr(t, "RevokeAccessToken", s.RevokeAccessToken(ctx(t), w.tenant.ID, "at-1", t0.Add(10*time.Minute)), nil)
	check("revoked token", store.AccessTokenRef{TokenID: "at-1", FamilyID: "fam-1", SessionID: w.session.ID}, t0, false)
	check("revoked token, no session", store.AccessTokenRef{TokenID: "at-1"}, t0, false)
	check("other token", store.AccessTokenRef{TokenID: "at-2", FamilyID: "fam-1", SessionID: w.session.ID}, t0, true)
	// Revoking twice is fine; the later expiry wins.
	wantErr(t, "RevokeAccessToken(again)", s.RevokeAccessToken(ctx(t), w.tenant.ID, "at-1", t0.Add(20*time.Minute)), nil)
	n, err := s.DeleteExpiredTokens(ctx(t), t0.Add(15*time.Minute))
	wantErr(t, "DeleteExpiredTokens", err, nil)
	if n != 0 {
		t.Fatalf("DeleteExpiredTokens removed %d, want 0 (revocation extended to t0+20m)", n)
	}
	check("revoked token after cleanup", store.AccessTokenRef{TokenID: "at-1"}, t0, false)

	wantErr(t, "EndSession", s.EndSession(ctx(t), w.tenant.ID, idle.ID, "logout", t0), nil)
	check("ended session", store.AccessTokenRef{TokenID: "at-3", SessionID: idle.ID}, t0, false)
}

func testDeleteExpiredTokens(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme") // w.refresh expires at t0+7d
	w2 := mkWorld(t, s, "beta")
	short := &store.RefreshToken{
		TenantID: w2.tenant.ID, Hash: hash("short"), FamilyID: "fam-short", ClientID: w2.client.ID, UserID: w2.user.ID,
		SessionID: w2.session.ID, AuthTime: t0, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
	}
	wantErr(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), short), nil)
	wantErr(t, "RevokeAccessToken", s.RevokeAccessToken(ctx(t), w.tenant.ID, "at-old", t0.Add(10*time.Minute)), nil)
	wantErr(t, "RevokeAccessToken", s.RevokeAccessToken(ctx(t), w.tenant.ID, "at-new", t0.Add(3*time.Hour)), nil)
	wantErr(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx(t), w2.tenant.ID, "fam-short", t0), nil)

	// Cutoff t0+2h: the short token and the at-old revocation go. The revoked
	// family outlives its last token, so its access tokens stay inactive.
	n, err := s.DeleteExpiredTokens(ctx(t), t0.Add(2*time.Hour))
	wantErr(t, "DeleteExpiredTokens", err, nil)
	if n != 2 {
		t.Fatalf("DeleteExpiredTokens removed %d, want 2", n)
	}
	assertAbsent(t, s, w2.tenant.ID, "short")
	_, err = s.RefreshTokenByHash(ctx(t), w.tenant.ID, w.refresh.Hash)
	wantErr(t, "RefreshTokenByHash(live)", err, nil)
	active, _ := s.AccessTokenActive(ctx(t), w2.tenant.ID, store.AccessTokenRef{TokenID: "at-x", FamilyID: "fam-short"}, t0.Add(2*time.Hour))
	if active {
		t.Fatal("access token of a revoked family active again after cleanup")
	}
	active, _ = s.AccessTokenActive(ctx(t), w.tenant.ID, store.AccessTokenRef{TokenID: "at-new"}, t0.Add(2*time.Hour))
	if active {
		t.Fatal("revoked access token active again after cleanup")
	}

	// A month later everything is gone: 2 tokens, 2 revocations.
	n, err = s.DeleteExpiredTokens(ctx(t), t0.Add(30*24*time.Hour))
	wantErr(t, "DeleteExpiredTokens(month)", err, nil)
	if n != 4 {
		t.Fatalf("DeleteExpiredTokens(month) removed %d, want 4", n)
	}
	_, err = s.RefreshTokenByHash(ctx(t), w.tenant.ID, w.refresh.Hash)
	wantErr(t, "RefreshTokenByHash(expired)", err, store.ErrNotFound)
}

func assertAbsent(t *testing.T, s store.Store, tenantID, value string) {
	t.Helper()
	if _, err := s.RefreshTokenByHash(ctx(t), tenantID, hash(value)); err == nil {
		t.Fatalf("refresh token %q exists", value)
	}
}
