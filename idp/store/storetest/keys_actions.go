package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func testSigningKeys(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	k1 := mkKey(t, s, tn.ID, "k1", t0.Add(-48*time.Hour))
	k2 := mkKey(t, s, tn.ID, "k2", t0.Add(-24*time.Hour))
	list, err := s.ListSigningKeys(ctx(t), tn.ID, t0)
	wantErr(t, "ListSigningKeys", err, nil)
	mustEqual(t, "ListSigningKeys (newest first)", []*store.SigningKey{k2, k1}, list)

	// Rotation 1: k2 signs, k1 retires at t0-1h and leaves the JWKS at t0+1h.
	early := t0.Add(-time.Hour)
	wantErr(t, "RetireSigningKeys(keep k2)", s.RetireSigningKeys(ctx(t), tn.ID, "k2", early, t0.Add(time.Hour)), nil)
	k1.RetiredAt, k1.RemoveAt = ptr(early), ptr(t0.Add(time.Hour))
	list, _ = s.ListSigningKeys(ctx(t), tn.ID, t0)
	mustEqual(t, "after rotation 1", []*store.SigningKey{k2, k1}, list)

	wantErr(t, "CreateSigningKey(same kid)", s.CreateSigningKey(ctx(t), &store.SigningKey{ID: "k1", TenantID: tn.ID, Algorithm: "ES256", Sealed: []byte("x"), PublicJWK: []byte("{}"), CreatedAt: t0}), store.ErrConflict)
	auto := &store.SigningKey{TenantID: tn.ID, Algorithm: "RS256", Sealed: []byte("x"), PublicJWK: []byte("{}"), CreatedAt: t0.Add(-72 * time.Hour)}
	wantErr(t, "CreateSigningKey(empty kid)", s.CreateSigningKey(ctx(t), auto), nil)
	if auto.ID == "" {
		t.Fatal("CreateSigningKey did not fill an empty ID")
	}

	// Rotation 2: k3 signs; k2 and auto retire now; k1 keeps its earlier
	// RetiredAt and RemoveAt.
	k3 := mkKey(t, s, tn.ID, "k3", t0)
	wantErr(t, "RetireSigningKeys(keep k3)", s.RetireSigningKeys(ctx(t), tn.ID, "k3", t0, t0.Add(2*time.Hour)), nil)
	k2.RetiredAt, k2.RemoveAt = ptr(t0), ptr(t0.Add(2*time.Hour))
	auto.RetiredAt, auto.RemoveAt = ptr(t0), ptr(t0.Add(2*time.Hour))
	list, _ = s.ListSigningKeys(ctx(t), tn.ID, t0)
	mustEqual(t, "after rotation 2", []*store.SigningKey{k3, k2, k1, auto}, list)

	// Keys leave the list at RemoveAt.
	list, _ = s.ListSigningKeys(ctx(t), tn.ID, t0.Add(time.Hour).Add(-time.Microsecond))
	mustEqual(t, "just before k1's RemoveAt", []*store.SigningKey{k3, k2, k1, auto}, list)
	list, _ = s.ListSigningKeys(ctx(t), tn.ID, t0.Add(time.Hour))
	mustEqual(t, "at k1's RemoveAt", []*store.SigningKey{k3, k2, auto}, list)
	list, _ = s.ListSigningKeys(ctx(t), tn.ID, t0.Add(3*time.Hour))
	mustEqual(t, "after k2's RemoveAt", []*store.SigningKey{k3}, list)

	// An unknown keepID changes nothing (it would leave no signing key).
	wantErr(t, "RetireSigningKeys(unknown keep)", s.RetireSigningKeys(ctx(t), tn.ID, "nope", t0, t0), store.ErrNotFound)
	list, _ = s.ListSigningKeys(ctx(t), tn.ID, t0)
	if list[0].ID != "k3" || list[0].RetiredAt != nil || list[0].RemoveAt != nil {
		t.Fatalf("refused RetireSigningKeys changed k3: %+v", list[0])
	}

	list, err = s.ListSigningKeys(ctx(t), "no-such-tenant", t0)
	wantErr(t, "ListSigningKeys(unknown tenant)", err, nil)
	if len(list) != 0 {
		t.Fatalf("keys of an unknown tenant: %v", list)
	}
}

func testActionTokens(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	u := mkUser(t, s, tn.ID, "zoe@example.com")
	a := mkActionToken(t, s, tn.ID, u.ID, store.ActionPasswordReset, "reset-1")
	wantErr(t, "CreateActionToken(same hash)", s.CreateActionToken(ctx(t), a), store.ErrConflict)
	bad := *a
	bad.Hash, bad.UserID = hash("reset-x"), "no-such-user"
	wantErr(t, "CreateActionToken(unknown user)", s.CreateActionToken(ctx(t), &bad), store.ErrNotFound)

	// Reading does not consume.
	peek, err := s.ActionTokenByHash(ctx(t), tn.ID, store.ActionPasswordReset, a.Hash)
	wantErr(t, "ActionTokenByHash", err, nil)
	mustEqual(t, "token read", a, peek)
	for name, q := range map[string]struct {
		tenant, kind string
		h            []byte
	}{"unknown": {tn.ID, store.ActionPasswordReset, hash("unknown")}, "other kind": {tn.ID, store.ActionSetupOwner, a.Hash},
		"other tenant": {mkTenant(t, s, "beta").ID, store.ActionPasswordReset, a.Hash}} {
		_, err := s.ActionTokenByHash(ctx(t), q.tenant, q.kind, q.h)
		wantErr(t, "ActionTokenByHash("+name+")", err, store.ErrNotFound)
	}

	_, err = s.ConsumeActionToken(ctx(t), tn.ID, store.ActionPasswordReset, hash("unknown"), t0)
	wantErr(t, "ConsumeActionToken(unknown)", err, store.ErrNotFound)
	_, err = s.ConsumeActionToken(ctx(t), tn.ID, store.ActionSetupOwner, a.Hash, t0)
	wantErr(t, "ConsumeActionToken(other kind)", err, store.ErrNotFound)
	_, err = s.ConsumeActionToken(ctx(t), tn.ID, store.ActionPasswordReset, a.Hash, a.ExpiresAt)
	wantErr(t, "ConsumeActionToken(at ExpiresAt)", err, store.ErrExpired)

	now := a.ExpiresAt.Add(-time.Microsecond)
	got, err := s.ConsumeActionToken(ctx(t), tn.ID, store.ActionPasswordReset, a.Hash, now)
	wantErr(t, "ConsumeActionToken", err, nil)
	want := *a
	want.UsedAt = ptr(now)
	mustEqual(t, "consumed token", &want, got)

	for _, at := range []time.Time{now, a.ExpiresAt.Add(time.Hour)} {
		_, err = s.ConsumeActionToken(ctx(t), tn.ID, store.ActionPasswordReset, a.Hash, at)
		wantErr(t, "ConsumeActionToken(again)", err, store.ErrAlreadyUsed)
	}
	if peek, err := s.ActionTokenByHash(ctx(t), tn.ID, store.ActionPasswordReset, a.Hash); err != nil || peek.UsedAt == nil {
		t.Fatalf("a used token reads as used: %+v %v", peek, err)
	}

	setup := mkActionToken(t, s, tn.ID, u.ID, store.ActionSetupOwner, "setup-1")
	got, err = s.ConsumeActionToken(ctx(t), tn.ID, store.ActionSetupOwner, setup.Hash, t0)
	wantErr(t, "ConsumeActionToken(setup)", err, nil)
	if got.Kind != store.ActionSetupOwner || got.UserID != u.ID || got.UsedAt == nil {
		t.Fatalf("consumed setup token: %+v", got)
	}
}
