package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func testAuthRequests(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	r := mkAuthRequest(t, s, w.tenant.ID, w.client.ID)
	got, err := s.AuthRequestByID(ctx(t), w.tenant.ID, r.ID)
	wantErr(t, "AuthRequestByID", err, nil)
	mustEqual(t, "AuthRequestByID", r, got)
	if got.MaxAge == nil || *got.MaxAge != 0 {
		t.Fatalf("MaxAge 0 must stay set, got %v", got.MaxAge)
	}
	if !got.AuthTime.IsZero() || got.CodeHash != nil || got.CodeUsedAt != nil || got.AMR != nil {
		t.Fatalf("a pending request has no login, code or AMR: %+v", got)
	}

	// MaxAge absent stays nil; empty lists come back nil.
	bare := &store.AuthRequest{TenantID: w.tenant.ID, ClientID: w.client.ID, Scopes: []string{}, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	// Every request is bound to a browser: none is stored without.
	if err := s.CreateAuthRequest(ctx(t), bare); err == nil {
		t.Fatal("CreateAuthRequest stored a request without a browser binding")
	}
	bare.ID = ""
	bare.BrowserBinding = hash("browser-bare")
	wantErr(t, "CreateAuthRequest(bare, empty id)", s.CreateAuthRequest(ctx(t), bare), nil)
	if bare.ID == "" {
		t.Fatal("CreateAuthRequest did not fill an empty ID")
	}
	got, err = s.AuthRequestByID(ctx(t), w.tenant.ID, bare.ID)
	wantErr(t, "AuthRequestByID(bare)", err, nil)
	bare.Scopes = nil
	mustEqual(t, "bare request", bare, got)

	wantErr(t, "CreateAuthRequest(same id)", s.CreateAuthRequest(ctx(t), r), store.ErrConflict)
	_, err = s.AuthRequestByID(ctx(t), w.tenant.ID, "nope")
	wantErr(t, "AuthRequestByID(unknown)", err, store.ErrNotFound)

	// SetAuthCode needs a done request.
	wantErr(t, "SetAuthCode(not done)", s.SetAuthCode(ctx(t), w.tenant.ID, r.ID, hash("code")), store.ErrAlreadyUsed)

	// CompleteAuthRequest: expired at ExpiresAt exactly, fine just before.
	done := *r
	done.UserID, done.SessionID, done.AuthTime, done.AMR, done.ACR = w.user.ID, w.session.ID, t0.Add(-time.Second), []string{"pwd", "otp"}, "urn:gatehouse:mfa"
	wantErr(t, "CompleteAuthRequest(at ExpiresAt)", s.CompleteAuthRequest(ctx(t), &done, r.ExpiresAt), store.ErrExpired)
	got, _ = s.AuthRequestByID(ctx(t), w.tenant.ID, r.ID)
	mustEqual(t, "request after expired completion", r, got)
	wantErr(t, "CompleteAuthRequest", s.CompleteAuthRequest(ctx(t), &done, r.ExpiresAt.Add(-time.Microsecond)), nil)
	if !done.Done {
		t.Fatal("CompleteAuthRequest did not set Done on its argument")
	}
	got, _ = s.AuthRequestByID(ctx(t), w.tenant.ID, r.ID)
	mustEqual(t, "completed request", &done, got)

	again := done
	again.UserID = "someone-else"
	wantErr(t, "CompleteAuthRequest(again)", s.CompleteAuthRequest(ctx(t), &again, t0), store.ErrAlreadyUsed)
	got, _ = s.AuthRequestByID(ctx(t), w.tenant.ID, r.ID)
	mustEqual(t, "request after second completion", &done, got)
	wantErr(t, "CompleteAuthRequest(unknown)", s.CompleteAuthRequest(ctx(t), &store.AuthRequest{ID: "nope", TenantID: w.tenant.ID}, t0), store.ErrNotFound)

	// SetAuthCode once; a second code is refused; codes are unique per tenant.
	wantErr(t, "SetAuthCode", s.SetAuthCode(ctx(t), w.tenant.ID, r.ID, hash("code-1")), nil)
	wantErr(t, "SetAuthCode(second)", s.SetAuthCode(ctx(t), w.tenant.ID, r.ID, hash("code-2")), store.ErrAlreadyUsed)
	wantErr(t, "SetAuthCode(unknown)", s.SetAuthCode(ctx(t), w.tenant.ID, "nope", hash("code-3")), store.ErrNotFound)
	other := mkAuthRequest(t, s, w.tenant.ID, w.client.ID)
	other.UserID, other.SessionID, other.AuthTime = w.user.ID, w.session.ID, t0
	wantErr(t, "CompleteAuthRequest(other)", s.CompleteAuthRequest(ctx(t), other, t0), nil)
	wantErr(t, "SetAuthCode(code of another request)", s.SetAuthCode(ctx(t), w.tenant.ID, other.ID, hash("code-1")), store.ErrConflict)

	done.CodeHash = hash("code-1")
	got, err = s.AuthRequestByCode(ctx(t), w.tenant.ID, hash("code-1"))
	wantErr(t, "AuthRequestByCode", err, nil)
	mustEqual(t, "AuthRequestByCode", &done, got)
	_, err = s.AuthRequestByCode(ctx(t), w.tenant.ID, hash("code-2"))
	wantErr(t, "AuthRequestByCode(unknown)", err, store.ErrNotFound)

	wantErr(t, "DeleteAuthRequest", s.DeleteAuthRequest(ctx(t), w.tenant.ID, r.ID), nil)
	_, err = s.AuthRequestByID(ctx(t), w.tenant.ID, r.ID)
	wantErr(t, "AuthRequestByID(deleted)", err, store.ErrNotFound)
	_, err = s.AuthRequestByCode(ctx(t), w.tenant.ID, hash("code-1"))
	wantErr(t, "AuthRequestByCode(deleted)", err, store.ErrNotFound)
	wantErr(t, "DeleteAuthRequest(again)", s.DeleteAuthRequest(ctx(t), w.tenant.ID, r.ID), store.ErrNotFound)

	// DeleteExpiredAuthRequests removes requests that expired before cutoff,
	// in every tenant, and counts them.
	w2 := mkWorld(t, s, "beta")
	mk := func(tenantID, clientID string, expires time.Time) *store.AuthRequest {
		x := &store.AuthRequest{TenantID: tenantID, ClientID: clientID, CreatedAt: t0.Add(-time.Hour), ExpiresAt: expires, BrowserBinding: hash("b")}
		wantErr(t, "CreateAuthRequest", s.CreateAuthRequest(ctx(t), x), nil)
		return x
	}
	cutoff := t0.Add(time.Hour)
	old1 := mk(w.tenant.ID, w.client.ID, cutoff.Add(-time.Microsecond))
	old2 := mk(w2.tenant.ID, w2.client.ID, t0.Add(-24*time.Hour))
	edge := mk(w.tenant.ID, w.client.ID, cutoff)
	n, err := s.DeleteExpiredAuthRequests(ctx(t), cutoff)
	wantErr(t, "DeleteExpiredAuthRequests", err, nil)
	// bare expired at t0+1m and other/got at t0+10m: both before cutoff too.
	if n != 4 {
		t.Fatalf("DeleteExpiredAuthRequests removed %d, want 4", n)
	}
	for _, x := range []*store.AuthRequest{old1, old2, bare, other} {
		if _, err := s.AuthRequestByID(ctx(t), x.TenantID, x.ID); err == nil {
			t.Fatalf("expired request %s survived", x.ID)
		}
	}
	_, err = s.AuthRequestByID(ctx(t), w.tenant.ID, edge.ID)
	wantErr(t, "request expiring at cutoff", err, nil)
}

func testAuthCodes(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	r := mkAuthRequest(t, s, w.tenant.ID, w.client.ID)
	complete(t, s, r, w.user.ID, w.session.ID, "code-1")

	_, err := s.ConsumeAuthCode(ctx(t), w.tenant.ID, hash("unknown"), "at-x", "fam-x", t0)
	wantErr(t, "ConsumeAuthCode(unknown)", err, store.ErrNotFound)
	_, err = s.ConsumeAuthCode(ctx(t), w.tenant.ID, hash("code-1"), "at-x", "fam-x", r.ExpiresAt)
	wantErr(t, "ConsumeAuthCode(at ExpiresAt)", err, store.ErrExpired)
	got, _ := s.AuthRequestByID(ctx(t), w.tenant.ID, r.ID)
	if got.CodeUsedAt != nil || got.IssuedAccessTokenID != "" {
		t.Fatalf("expired consumption changed the request: %+v", got)
	}

	now := r.ExpiresAt.Add(-time.Microsecond)
	got, err = s.ConsumeAuthCode(ctx(t), w.tenant.ID, hash("code-1"), "at-1", "fam-1", now)
	wantErr(t, "ConsumeAuthCode", err, nil)
	want := *r
	want.Done, want.CodeUsedAt, want.IssuedAccessTokenID, want.IssuedFamilyID = true, ptr(now), "at-1", "fam-1"
	mustEqual(t, "ConsumeAuthCode result", &want, got)
	got, _ = s.AuthRequestByID(ctx(t), w.tenant.ID, r.ID)
	mustEqual(t, "request after ConsumeAuthCode", &want, got)

	// A replay, even after expiry, is ErrAlreadyUsed and returns the request
	// with the tokens the first redemption issued, so they can be revoked.
	for _, at := range []time.Time{now, r.ExpiresAt.Add(time.Hour)} {
		got, err = s.ConsumeAuthCode(ctx(t), w.tenant.ID, hash("code-1"), "at-2", "fam-2", at)
		wantErr(t, "ConsumeAuthCode(replay)", err, store.ErrAlreadyUsed)
		mustEqual(t, "ConsumeAuthCode(replay) result", &want, got)
	}
	got, _ = s.AuthRequestByID(ctx(t), w.tenant.ID, r.ID)
	mustEqual(t, "request after replay", &want, got)
}
