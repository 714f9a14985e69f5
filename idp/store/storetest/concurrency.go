package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// race runs fn(i) for i in [0, racers) in goroutines released together and
// returns their errors by index.
func race(fn func(i int) error) []error {
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner checks that exactly one call succeeded and every other call
// failed with loserErr, and returns the winner's index.
func oneWinner(t *testing.T, what string, errs []error, loserErr error) int {
	t.Helper()
	winner, other := -1, 0
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("%s: both %d and %d won", what, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, loserErr):
			other++
			t.Errorf("%s: racer %d: got %v, want %v", what, i, err, loserErr)
		}
	}
	if winner < 0 {
		t.Fatalf("%s: nobody won", what)
	}
	if other > 0 {
		t.FailNow()
	}
	return winner
}

func testConcurrentConsumeAuthCode(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	r := mkAuthRequest(t, s, w.tenant.ID, w.client.ID)
	complete(t, s, r, w.user.ID, w.session.ID, "code-1")
	now := t0.Add(time.Minute)

	results := make([]*store.AuthRequest, racers)
	errs := race(func(i int) error {
		var err error
		results[i], err = s.ConsumeAuthCode(ctx(t), w.tenant.ID, hash("code-1"), fmt.Sprint("at-", i), fmt.Sprint("fam-", i), now)
		return err
	})
	win := oneWinner(t, "ConsumeAuthCode", errs, store.ErrAlreadyUsed)
	wantAT, wantFam := fmt.Sprint("at-", win), fmt.Sprint("fam-", win)
	// Every loser learns which tokens the winner was issued.
	for i, got := range results {
		if got == nil || got.IssuedAccessTokenID != wantAT || got.IssuedFamilyID != wantFam || got.CodeUsedAt == nil {
			t.Fatalf("racer %d got %+v, want the request with the winner's tokens %s/%s", i, got, wantAT, wantFam)
		}
	}
	got, _ := s.AuthRequestByID(ctx(t), w.tenant.ID, r.ID)
	if got.IssuedAccessTokenID != wantAT || got.IssuedFamilyID != wantFam || got.CodeUsedAt == nil || !got.CodeUsedAt.Equal(now) {
		t.Fatalf("stored request %+v, want the winner's tokens %s/%s used at %v", got, wantAT, wantFam, now)
	}
}

// Racing rotations of one refresh token: exactly one stores its next token;
// every loser is a reuse (ErrAlreadyUsed) and revokes the family, so the
// winner's new token ends up revoked as well.
func testConcurrentRotateRefreshToken(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	now := t0.Add(time.Minute)
	next := func(i int) string { return fmt.Sprint("rt-next-", i) }

	errs := race(func(i int) error {
		rt := newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", next(i))
		rt.CreatedAt = now
		return s.RotateRefreshToken(ctx(t), w.tenant.ID, w.refresh.Hash, rt, now)
	})
	win := oneWinner(t, "RotateRefreshToken", errs, store.ErrAlreadyUsed)

	stored := 0
	for i := range racers {
		got, err := s.RefreshTokenByHash(ctx(t), w.tenant.ID, hash(next(i)))
		switch {
		case err == nil && i == win:
			stored++
			if got.FamilyID != "fam-1" || got.RevokedAt == nil || !got.RevokedAt.Equal(now) {
				t.Fatalf("winner's token: family %q, RevokedAt %v; want fam-1 revoked at %v by the losers' reuse", got.FamilyID, got.RevokedAt, now)
			}
		case err == nil:
			t.Fatalf("loser %d stored its next token", i)
		case i == win:
			t.Fatalf("winner's next token missing: %v", err)
		case !errors.Is(err, store.ErrNotFound):
			t.Fatalf("RefreshTokenByHash(%d): %v", i, err)
		}
	}
	if stored != 1 {
		t.Fatalf("%d next tokens stored, want 1", stored)
	}
	old, _ := s.RefreshTokenByHash(ctx(t), w.tenant.ID, w.refresh.Hash)
	if old.UsedAt == nil || !old.UsedAt.Equal(now) || old.RevokedAt == nil {
		t.Fatalf("old token: UsedAt %v, RevokedAt %v; want used at %v and revoked", old.UsedAt, old.RevokedAt, now)
	}
	active, err := s.AccessTokenActive(ctx(t), w.tenant.ID, store.AccessTokenRef{TokenID: "at", FamilyID: "fam-1", SessionID: w.session.ID}, now)
	wantErr(t, "AccessTokenActive", err, nil)
	if active {
		t.Fatal("family still active after racing rotations")
	}
	err = s.RotateRefreshToken(ctx(t), w.tenant.ID, hash(next(win)), newRefresh(w.tenant.ID, w.client.ID, w.user.ID, w.session.ID, "", "rt-after"), now)
	wantErr(t, "RotateRefreshToken(winner's token)", err, store.ErrAlreadyUsed)
}

func testConcurrentConsumeActionToken(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	u := mkUser(t, s, tn.ID, "zoe@example.com")
	a := mkActionToken(t, s, tn.ID, u.ID, store.ActionSetupOwner, "setup")
	now := t0.Add(time.Minute)
	errs := race(func(int) error {
		_, err := s.ConsumeActionToken(ctx(t), tn.ID, store.ActionSetupOwner, a.Hash, now)
		return err
	})
	oneWinner(t, "ConsumeActionToken", errs, store.ErrAlreadyUsed)
}
