package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// testReauthenticateSession: a new authentication of the session's user
// replaces the cookie hash and the authentication facts in place; the id,
// the creation time and the session's refresh tokens stay. Another user, an
// ended or expired session and another tenant change nothing.
func testReauthenticateSession(t *testing.T, s store.Store) {
	w := mkWorld(t, s, "acme")
	other := mkTenant(t, s, "other")
	now := t0.Add(5 * time.Minute)
	re := *w.session
	re.CookieHash, re.AuthTime, re.AMR, re.ACR = hash("cookie-2"), now, []string{"pwd"}, "urn:gatehouse:pwd"
	re.IP, re.UserAgent, re.LastSeenAt = "198.51.100.9", "curl/8", now
	re.IdleExpiresAt, re.ExpiresAt = now.Add(30*time.Minute), now.Add(8*time.Hour)

	otherUser := re
	otherUser.UserID = mkUser(t, s, w.tenant.ID, "bob@example.com").ID
	wantErr(t, "ReauthenticateSession(another user)", s.ReauthenticateSession(ctx(t), &otherUser, now), store.ErrExpired)
	cross := re
	cross.TenantID = other.ID
	wantErr(t, "ReauthenticateSession(other tenant)", s.ReauthenticateSession(ctx(t), &cross, now), store.ErrNotFound)
	unknown := re
	unknown.ID = store.NewID()
	wantErr(t, "ReauthenticateSession(unknown)", s.ReauthenticateSession(ctx(t), &unknown, now), store.ErrNotFound)
	wantErr(t, "ReauthenticateSession(idle expired)", s.ReauthenticateSession(ctx(t), &re, t0.Add(31*time.Minute)), store.ErrExpired)
	got, err := s.SessionByID(ctx(t), w.tenant.ID, w.session.ID)
	wantErr(t, "SessionByID", err, nil)
	mustEqual(t, "session after refused re-authentications", w.session, got)

	wantErr(t, "ReauthenticateSession", s.ReauthenticateSession(ctx(t), &re, now), nil)
	got, err = s.SessionByID(ctx(t), w.tenant.ID, w.session.ID)
	wantErr(t, "SessionByID", err, nil)
	mustEqual(t, "re-authenticated session", &re, got)
	if rt, err := s.RefreshTokenByHash(ctx(t), w.tenant.ID, hash("acme-rt-1")); err != nil || rt.RevokedAt != nil || rt.SessionID != w.session.ID {
		t.Fatalf("refresh token of the session after re-authentication: %+v, %v", rt, err)
	}

	wantErr(t, "EndSession", s.EndSession(ctx(t), w.tenant.ID, w.session.ID, "logout", now), nil)
	wantErr(t, "ReauthenticateSession(ended)", s.ReauthenticateSession(ctx(t), &re, now), store.ErrExpired)
}
