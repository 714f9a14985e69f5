package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const sessionCols = `tenant_id, id, user_id, auth_time, amr, acr, ip, user_agent, created_at,
	last_seen_at, idle_expires_at, expires_at, ended_at, end_reason, cookie_hash`

func scanSession(r rowScanner) (*store.Session, error) {
	var ss store.Session
	err := r.Scan(&ss.TenantID, &ss.ID, &ss.UserID, timeCol{&ss.AuthTime}, listCol{&ss.AMR}, &ss.ACR,
		&ss.IP, &ss.UserAgent, timeCol{&ss.CreatedAt}, timeCol{&ss.LastSeenAt}, timeCol{&ss.IdleExpiresAt},
		timeCol{&ss.ExpiresAt}, timePtrCol{&ss.EndedAt}, &ss.EndReason, bytesCol{&ss.CookieHash})
	if err != nil {
		return nil, err
	}
	return &ss, nil
}

// CreateSession inserts ss, filling an empty ID.
func (s *Store) CreateSession(ctx context.Context, ss *store.Session) error {
	if ss.ID == "" {
		ss.ID = store.NewID()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (`+sessionCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ss.TenantID, ss.ID, ss.UserID, micros(ss.AuthTime), listJSON(ss.AMR), ss.ACR, ss.IP, ss.UserAgent,
		micros(ss.CreatedAt), micros(ss.LastSeenAt), micros(ss.IdleExpiresAt), micros(ss.ExpiresAt),
		microsPtr(ss.EndedAt), ss.EndReason, ss.CookieHash)
	return mapErr("CreateSession", err)
}

// ReauthenticateSession is one conditional UPDATE on the active session.
func (s *Store) ReauthenticateSession(ctx context.Context, ss *store.Session, now time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions
		SET cookie_hash = ?1, auth_time = ?2, amr = ?3, acr = ?4, ip = ?5, user_agent = ?6,
			last_seen_at = ?7, idle_expires_at = ?8, expires_at = ?9
		WHERE tenant_id = ?10 AND id = ?11 AND user_id = ?12
			AND ended_at IS NULL AND expires_at > ?13 AND idle_expires_at > ?13`,
		ss.CookieHash, micros(ss.AuthTime), listJSON(ss.AMR), ss.ACR, ss.IP, ss.UserAgent,
		micros(ss.LastSeenAt), micros(ss.IdleExpiresAt), micros(ss.ExpiresAt),
		ss.TenantID, ss.ID, ss.UserID, micros(now))
	return mapErr("ReauthenticateSession", s.activeSessionUpdated(ctx, ss.TenantID, ss.ID, res, err))
}

func (s *Store) SessionByID(ctx context.Context, tenantID, id string) (*store.Session, error) {
	ss, err := scanSession(s.r.QueryRowContext(ctx,
		`SELECT `+sessionCols+` FROM sessions WHERE tenant_id = ? AND id = ?`, tenantID, id))
	return ss, mapErr("SessionByID", err)
}

// ListUserSessions returns the user's sessions, ended ones included, newest first.
func (s *Store) ListUserSessions(ctx context.Context, tenantID, userID string) ([]*store.Session, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE tenant_id = ? AND user_id = ? ORDER BY created_at DESC, id DESC`, tenantID, userID)
	if err != nil {
		return nil, mapErr("ListUserSessions", err)
	}
	list, err := collect(rows, scanSession)
	return list, mapErr("ListUserSessions", err)
}

// TouchSession moves LastSeenAt to now and IdleExpiresAt to min(now+idle,
// ExpiresAt) while the session is active at now; ErrExpired otherwise.
func (s *Store) TouchSession(ctx context.Context, tenantID, id string, now time.Time, idle time.Duration) error {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions
		SET last_seen_at = ?1, idle_expires_at = MIN(?2, expires_at)
		WHERE tenant_id = ?3 AND id = ?4 AND ended_at IS NULL AND expires_at > ?1 AND idle_expires_at > ?1`,
		micros(now), micros(now.Add(idle)), tenantID, id)
	return mapErr("TouchSession", s.activeSessionUpdated(ctx, tenantID, id, res, err))
}

// activeSessionUpdated checks the result of an UPDATE conditioned on an
// active session: no row changed is ErrExpired for a session that exists,
// ErrNotFound otherwise.
func (s *Store) activeSessionUpdated(ctx context.Context, tenantID, id string, res sql.Result, err error) error {
	if err == nil {
		err = mustAffect(res)
	}
	if errors.Is(err, store.ErrNotFound) {
		found, ferr := exists(ctx, s.w, `SELECT 1 FROM sessions WHERE tenant_id = ? AND id = ?`, tenantID, id)
		switch {
		case ferr != nil:
			err = ferr
		case found:
			err = store.ErrExpired
		}
	}
	return err
}

// EndSession ends the session (keeping an earlier end) and, in the same
// transaction, revokes its refresh tokens and records their families as
// revoked.
func (s *Store) EndSession(ctx context.Context, tenantID, id, reason string, now time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions
			SET ended_at = COALESCE(ended_at, ?1),
				end_reason = CASE WHEN ended_at IS NULL THEN ?2 ELSE end_reason END
			WHERE tenant_id = ?3 AND id = ?4`,
			micros(now), reason, tenantID, id)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		_, err = revokeFamiliesBy(ctx, tx, bySession, tenantID, id, now, true)
		return err
	})
	return mapErr("EndSession", err)
}
