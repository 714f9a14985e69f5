package session

import (
	"context"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/device"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// ReasonLogout is the end reason of a session its user signed out of.
const ReasonLogout = "logout"

// End ends one session, revoking its refresh tokens (store), writes the
// one security event of it and notifies the relying parties it signed into
// (back-channel logout). reason is stored with the session and the event:
// ReasonLogout is the user signing out (session.logout), anything else a
// session ended for that reason (session.ended).
func (s *Service) End(ctx context.Context, t *store.Tenant, sess *store.Session, reason string) error {
	return s.end(ctx, t, sess, reason, "")
}

// Logout ends the session its user signed out of at relying party
// clientID (end_session); the event names the client.
func (s *Service) Logout(ctx context.Context, t *store.Tenant, sess *store.Session, clientID string) error {
	return s.end(ctx, t, sess, ReasonLogout, clientID)
}

func (s *Service) end(ctx context.Context, t *store.Tenant, sess *store.Session, reason, clientID string) error {
	if err := s.Store.EndSession(ctx, t.ID, sess.ID, reason, s.Clock()); err != nil {
		return err
	}
	e := &store.AuditEvent{TenantID: t.ID, Type: audit.SessionEnded, UserID: sess.UserID, SessionID: sess.ID, ClientID: clientID,
		Detail: map[string]string{"reason": reason}}
	if reason == ReasonLogout {
		e.Type, e.Detail = audit.SessionLogout, nil
	}
	s.Audit.Record(ctx, e)
	s.NotifyEnded(ctx, t, sess)
	return nil
}

// NotifyEnded sends the back-channel logout tokens of an ended session, for
// code that ends sessions through the store itself.
func (s *Service) NotifyEnded(ctx context.Context, t *store.Tenant, sess *store.Session) {
	clients, err := s.Store.ListSessionClients(ctx, t.ID, sess.ID)
	if err != nil {
		s.Log.Error("session clients", "tenant", t.Slug, "session_id", sess.ID, "err", err)
		return
	}
	s.backchannelLogout(ctx, t, sess, clients)
}

// EndAll ends every active session of the user except keep ("" ends them
// all) and returns how many it ended. A session that cannot be ended is
// logged and skipped.
func (s *Service) EndAll(ctx context.Context, t *store.Tenant, userID, keep, reason string) int {
	sessions, err := s.Store.ListUserSessions(ctx, t.ID, userID)
	if err != nil {
		s.Log.Error("list sessions", "tenant", t.Slug, "user_id", userID, "err", err)
		return 0
	}
	n := 0
	now := s.Clock()
	for _, ss := range sessions {
		if ss.ID == keep || !ss.Active(now) {
			continue
		}
		if err := s.End(ctx, t, ss, reason); err != nil {
			s.Log.Error("end session", "tenant", t.Slug, "session_id", ss.ID, "err", err)
			continue
		}
		n++
	}
	return n
}

// Revoke ends sessions of a user for an admin: the one with this id, or all
// when id is "". It returns how many it ended. An id that is not an active
// session of the user is a web.Public error.
func (s *Service) Revoke(ctx context.Context, t *store.Tenant, userID, id string) (int, error) {
	if id == "" {
		return s.EndAll(ctx, t, userID, "", "revoked_by_admin"), nil
	}
	ss, err := s.Store.SessionByID(ctx, t.ID, id)
	if err != nil || ss.UserID != userID {
		return 0, web.Message("no session " + id + " for this user")
	}
	if !ss.Active(s.Clock()) {
		return 0, web.Message("session " + id + " has already ended")
	}
	if err := s.End(ctx, t, ss, "revoked_by_admin"); err != nil {
		return 0, err
	}
	return 1, nil
}

// Info is one active session as admins and the account page see it.
type Info struct {
	Session *store.Session
	// Device is "Firefox 120 on Linux", from the session's User-Agent.
	Device string
	Apps   []store.SessionClient
}

// ListActive returns the user's active sessions, in the store's order
// (newest first), with the device label and the apps each signed into.
func (s *Service) ListActive(ctx context.Context, t *store.Tenant, userID string) ([]Info, error) {
	all, err := s.Store.ListUserSessions(ctx, t.ID, userID)
	if err != nil {
		return nil, err
	}
	now := s.Clock()
	var out []Info
	for _, ss := range all {
		if !ss.Active(now) {
			continue
		}
		apps, err := s.Store.ListSessionClients(ctx, t.ID, ss.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, Info{Session: ss, Device: device.Describe(ss.UserAgent).Label, Apps: apps})
	}
	return out, nil
}
