package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const sessionCols = `tenant_id, id, user_id, auth_time, amr, acr, ip, user_agent, created_at,
	last_seen_at, idle_expires_at, expires_at, ended_at, end_reason, cookie_hash`

func scanSession(r pgx.Row) (*store.Session, error) {
	var ss store.Session
	err := r.Scan(&ss.TenantID, &ss.ID, &ss.UserID, &ss.AuthTime, &ss.AMR, &ss.ACR, &ss.IP, &ss.UserAgent,
		&ss.CreatedAt, &ss.LastSeenAt, &ss.IdleExpiresAt, &ss.ExpiresAt, &ss.EndedAt, &ss.EndReason, &ss.CookieHash)
	if err != nil {
		return nil, err
	}
	ss.AMR = unlist(ss.AMR)
	return &ss, nil
}

// CreateSession inserts ss, filling an empty ID.
func (s *Store) CreateSession(ctx context.Context, ss *store.Session) error {
	if ss.ID == "" {
		ss.ID = store.NewID()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (`+sessionCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		ss.TenantID, ss.ID, ss.UserID, ss.AuthTime, list(ss.AMR), ss.ACR, ss.IP, ss.UserAgent,
		ss.CreatedAt, ss.LastSeenAt, ss.IdleExpiresAt, ss.ExpiresAt, ss.EndedAt, ss.EndReason, ss.CookieHash)
	return mapErr("CreateSession", err)
}

// ReauthenticateSession is one conditional UPDATE on the active session; the
// CTE tells an inactive session from an unknown one in the same statement.
func (s *Store) ReauthenticateSession(ctx context.Context, ss *store.Session, now time.Time) error {
	var updated, found bool
	err := s.pool.QueryRow(ctx, `WITH u AS (
			UPDATE sessions SET cookie_hash = $1, auth_time = $2, amr = $3, acr = $4, ip = $5, user_agent = $6,
				last_seen_at = $7, idle_expires_at = $8, expires_at = $9
			WHERE tenant_id = $10 AND id = $11 AND user_id = $12
				AND ended_at IS NULL AND expires_at > $13 AND idle_expires_at > $13
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM sessions WHERE tenant_id = $10 AND id = $11)`,
		ss.CookieHash, ss.AuthTime, list(ss.AMR), ss.ACR, ss.IP, ss.UserAgent,
		ss.LastSeenAt, ss.IdleExpiresAt, ss.ExpiresAt, ss.TenantID, ss.ID, ss.UserID, now).Scan(&updated, &found)
	switch {
	case err != nil:
	case updated:
	case found:
		err = store.ErrExpired
	default:
		err = store.ErrNotFound
	}
	return mapErr("ReauthenticateSession", err)
}

func (s *Store) SessionByID(ctx context.Context, tenantID, id string) (*store.Session, error) {
	ss, err := scanSession(s.pool.QueryRow(ctx,
		`SELECT `+sessionCols+` FROM sessions WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return ss, mapErr("SessionByID", err)
}

// ListUserSessions returns the user's sessions, ended ones included, newest first.
func (s *Store) ListUserSessions(ctx context.Context, tenantID, userID string) ([]*store.Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC, id COLLATE "C" DESC`, tenantID, userID)
	if err != nil {
		return nil, mapErr("ListUserSessions", err)
	}
	l, err := collect(rows, scanSession)
	return l, mapErr("ListUserSessions", err)
}

// TouchSession moves LastSeenAt to now and IdleExpiresAt to min(now+idle,
// ExpiresAt) while the session is active at now; ErrExpired otherwise. One
// statement: sessions are never deleted, so whether the row exists cannot
// change under it.
func (s *Store) TouchSession(ctx context.Context, tenantID, id string, now time.Time, idle time.Duration) error {
	var touched, found bool
	err := s.pool.QueryRow(ctx, `WITH upd AS (
			UPDATE sessions SET last_seen_at = $3, idle_expires_at = LEAST($4, expires_at)
			WHERE tenant_id = $1 AND id = $2 AND ended_at IS NULL AND expires_at > $3 AND idle_expires_at > $3
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM upd), EXISTS (SELECT 1 FROM sessions WHERE tenant_id = $1 AND id = $2)`,
		tenantID, id, now, now.Add(idle)).Scan(&touched, &found)
	switch {
	case err != nil:
	case !found:
		err = store.ErrNotFound
	case !touched:
		err = store.ErrExpired
	}
	return mapErr("TouchSession", err)
}

// EndSession ends the session (keeping an earlier end) and, in the same
// transaction, revokes its refresh tokens and records their families as
// revoked. The first statement locks the session row; the revocation runs in
// a later statement, so it also sees a token that a racing rotation (which
// holds a share lock on the row while it inserts) committed meanwhile.
func (s *Store) EndSession(ctx context.Context, tenantID, id, reason string, now time.Time) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE sessions
			SET ended_at = COALESCE(ended_at, $3),
				end_reason = CASE WHEN ended_at IS NULL THEN $4 ELSE end_reason END
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, now, reason)
		if err != nil {
			return err
		}
		if err := mustAffect(tag); err != nil {
			return err
		}
		_, err = revokeFamiliesBy(ctx, tx, bySession, tenantID, id, now, true)
		return err
	})
	return mapErr("EndSession", err)
}
