package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func ownerUser(tenantID, email string) *store.User {
	return &store.User{ID: store.NewID(), TenantID: tenantID, Email: email, Name: "Olga", Role: store.RoleOwner,
		PasswordHash: "h", PasswordChangedAt: t0, CreatedAt: t0, UpdatedAt: t0}
}

func setupToken(t *testing.T, s store.Store, tenantID, value string) []byte {
	t.Helper()
	a := &store.ActionToken{Hash: hash(value), TenantID: tenantID, Kind: store.ActionSetupOwner, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	wantErr(t, "CreateActionToken(setup)", s.CreateActionToken(ctx(t), a), nil)
	return a.Hash
}

func countOwners(t *testing.T, s store.Store, tenantID string) int {
	t.Helper()
	users, err := s.ListUsers(ctx(t), tenantID)
	wantErr(t, "ListUsers", err, nil)
	n := 0
	for _, u := range users {
		if u.Role == store.RoleOwner {
			n++
		}
	}
	return n
}

// testCreateFirstOwner: a setup token creates the owner once, and only while
// the tenant has none; every refusal leaves the token as it was.
func testCreateFirstOwner(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	other := mkTenant(t, s, "other")
	h1, h2 := setupToken(t, s, tn.ID, "setup-1"), setupToken(t, s, tn.ID, "setup-2")
	now := t0.Add(time.Minute)

	wantErr(t, "CreateFirstOwner(other tenant's token)", s.CreateFirstOwner(ctx(t), h1, ownerUser(other.ID, "o@other.test"), now), store.ErrNotFound)
	agent := ownerUser(tn.ID, "a@acme.test")
	agent.Role = store.RoleAgent
	if err := s.CreateFirstOwner(ctx(t), h1, agent, now); err == nil {
		t.Fatal("CreateFirstOwner accepted a non-owner role")
	}
	mkUser(t, s, tn.ID, "taken@acme.test")
	wantErr(t, "CreateFirstOwner(taken email)", s.CreateFirstOwner(ctx(t), h1, ownerUser(tn.ID, "taken@acme.test"), now), store.ErrConflict)
	wantErr(t, "CreateFirstOwner(expired)", s.CreateFirstOwner(ctx(t), h1, ownerUser(tn.ID, "x@acme.test"), t0.Add(time.Hour)), store.ErrExpired)

	o := ownerUser(tn.ID, "Olga@acme.test")
	wantErr(t, "CreateFirstOwner", s.CreateFirstOwner(ctx(t), h1, o, now), nil) // h1 survived every refusal
	got, err := s.UserByEmail(ctx(t), tn.ID, "olga@acme.test")
	wantErr(t, "UserByEmail(owner)", err, nil)
	mustEqual(t, "owner id", o.ID, got.ID)
	mustEqual(t, "owner role", store.RoleOwner, got.Role)

	wantErr(t, "CreateFirstOwner(same token)", s.CreateFirstOwner(ctx(t), h1, ownerUser(tn.ID, "b@acme.test"), now), store.ErrAlreadyUsed)
	wantErr(t, "CreateFirstOwner(second token, owner exists)", s.CreateFirstOwner(ctx(t), h2, ownerUser(tn.ID, "c@acme.test"), now), store.ErrOwnerExists)
	_, err = s.ConsumeActionToken(ctx(t), tn.ID, store.ActionSetupOwner, h2, now)
	wantErr(t, "ConsumeActionToken(second token left unused)", err, nil)
	mustEqual(t, "owners", 1, countOwners(t, s, tn.ID))
}

// testConcurrentCreateFirstOwner: racers with different tokens of one tenant
// make exactly one owner.
func testConcurrentCreateFirstOwner(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	hashes := make([][]byte, racers)
	for i := range hashes {
		hashes[i] = setupToken(t, s, tn.ID, fmt.Sprintf("setup-%d", i))
	}
	now := t0.Add(time.Minute)
	errs := race(func(i int) error {
		return s.CreateFirstOwner(ctx(t), hashes[i], ownerUser(tn.ID, fmt.Sprintf("owner%d@acme.test", i)), now)
	})
	oneWinner(t, "CreateFirstOwner", errs, store.ErrOwnerExists)
	mustEqual(t, "owners", 1, countOwners(t, s, tn.ID))
}
