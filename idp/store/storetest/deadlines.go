package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// testCodeDeadline: CompleteAuthRequest saves the new ExpiresAt (the code's
// redemption deadline); a zero ExpiresAt keeps the stored one.
func testCodeDeadline(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	r := mkAuthRequest(t, s, w.tenant.ID, w.client.ID)
	r.UserID, r.SessionID, r.AuthTime = w.user.ID, w.session.ID, t0
	r.ExpiresAt = t0.Add(2 * time.Minute)
	wantErr(t, "CompleteAuthRequest", s.CompleteAuthRequest(ctx(t), r, t0), nil)
	got, err := s.AuthRequestByID(ctx(t), w.tenant.ID, r.ID)
	wantErr(t, "AuthRequestByID", err, nil)
	mustEqual(t, "ExpiresAt after completion", t0.Add(2*time.Minute), got.ExpiresAt)
	wantErr(t, "SetAuthCode", s.SetAuthCode(ctx(t), w.tenant.ID, r.ID, hash("c")), nil)
	_, err = s.ConsumeAuthCode(ctx(t), w.tenant.ID, hash("c"), "at", "", t0.Add(2*time.Minute))
	wantErr(t, "ConsumeAuthCode after the code deadline", err, store.ErrExpired)

	r2 := mkAuthRequest(t, s, w.tenant.ID, w.client.ID)
	orig := r2.ExpiresAt
	r2.UserID, r2.SessionID, r2.AuthTime, r2.ExpiresAt = w.user.ID, w.session.ID, t0, time.Time{}
	wantErr(t, "CompleteAuthRequest(zero ExpiresAt)", s.CompleteAuthRequest(ctx(t), r2, t0), nil)
	got, _ = s.AuthRequestByID(ctx(t), w.tenant.ID, r2.ID)
	mustEqual(t, "ExpiresAt kept", orig, got.ExpiresAt)
}

// testUserlessActionToken: a first-owner setup token has no user yet.
func testUserlessActionToken(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	a := &store.ActionToken{Hash: hash("setup-1"), TenantID: tn.ID, Kind: store.ActionSetupOwner, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	wantErr(t, "CreateActionToken(no user)", s.CreateActionToken(ctx(t), a), nil)
	got, err := s.ConsumeActionToken(ctx(t), tn.ID, store.ActionSetupOwner, hash("setup-1"), t0)
	wantErr(t, "ConsumeActionToken(no user)", err, nil)
	if got.UserID != "" || got.UsedAt == nil {
		t.Fatalf("userless token came back as %+v", got)
	}
	_, err = s.ConsumeActionToken(ctx(t), tn.ID, store.ActionSetupOwner, hash("setup-1"), t0)
	wantErr(t, "ConsumeActionToken(again)", err, store.ErrAlreadyUsed)
}
