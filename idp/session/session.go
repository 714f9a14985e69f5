package session

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Start records a sign-in of the user as the browser's SSO session and
// sets a fresh cookie (a new secret at every sign-in, so a planted or seen
// cookie cannot be promoted). When the browser's session belongs to the
// same user (prompt=login, max_age, step-up), it is re-authenticated in
// place: the cookie rotates and auth_time/amr/acr are the new sign-in's, but
// the session id (the sid claim) and the tokens every app got under it
// stay. A session of another user, or one no longer active, ends
// ("replaced") and a new one starts.
func (s *Service) Start(w http.ResponseWriter, r *http.Request, t *store.Tenant, userID string, amr []string, acr string) (*store.Session, error) {
	ctx := r.Context()
	now := s.Clock()
	set := s.settings(ctx, t)
	secret, cookieHash, err := s.newSecret()
	if err != nil {
		return nil, err
	}
	x := web.From(ctx)
	sess := &store.Session{
		ID: store.NewID(), TenantID: t.ID, UserID: userID, AuthTime: now, AMR: amr, ACR: acr,
		IP: x.IP(), UserAgent: x.UserAgent(), CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(set.SessionLifetime()), CookieHash: cookieHash,
	}
	sess.IdleExpiresAt = now.Add(set.SessionIdle())
	if sess.IdleExpiresAt.After(sess.ExpiresAt) {
		sess.IdleExpiresAt = sess.ExpiresAt
	}
	prev, err := s.fromCookie(r, t)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		switch {
		case prev.UserID == userID && prev.Active(now):
			sess.ID, sess.CreatedAt = prev.ID, prev.CreatedAt
			err := s.Store.ReauthenticateSession(ctx, sess, now)
			if err == nil {
				s.setCookie(w, t, sess.ID, secret)
				s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.SessionReauthenticated, UserID: userID, SessionID: sess.ID})
				return sess, nil
			}
			if !errors.Is(err, store.ErrExpired) {
				return nil, err
			}
			// It ended or expired just now: end it for good, start anew.
			sess.ID, sess.CreatedAt = store.NewID(), now
			fallthrough
		case prev.EndedAt == nil:
			if err := s.End(ctx, t, prev, "replaced"); err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
		}
	}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	s.setCookie(w, t, sess.ID, secret)
	s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.SessionCreated, UserID: userID, SessionID: sess.ID})
	return sess, nil
}

// Current returns the browser's active session, read through an authentic
// cookie; nil when it has none. An error means the session could not be
// read, and the caller fails closed.
func (s *Service) Current(r *http.Request, t *store.Tenant) (*store.Session, error) {
	sess, err := s.fromCookie(r, t)
	if err != nil || sess == nil || !sess.Active(s.Clock()) {
		return nil, err
	}
	return sess, nil
}

// Touch records activity on an active session: it stays alive another
// idle timeout (the tenant's, bounded by the session's lifetime).
// store.ErrExpired when it is no longer active.
func (s *Service) Touch(ctx context.Context, t *store.Tenant, sess *store.Session) error {
	return s.Store.TouchSession(ctx, t.ID, sess.ID, s.Clock(), s.settings(ctx, t).SessionIdle())
}
