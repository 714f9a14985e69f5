package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Federation: upstream connections, links, round-trip states and the
// sessions created through a connection (migration 00002).

const connectionCols = `tenant_id, id, kind, name, config, sealed_secret, enabled, jit, default_role,
	link_mode, accept_upstream_mfa, created_at, updated_at`

func scanConnection(r rowScanner) (*store.Connection, error) {
	var c store.Connection
	var cfg string
	err := r.Scan(&c.TenantID, &c.ID, &c.Kind, &c.Name, &cfg, bytesCol{&c.SealedSecret}, &c.Enabled, &c.JIT,
		&c.DefaultRole, &c.LinkMode, &c.AcceptUpstreamMFA, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	c.Config = []byte(cfg)
	return &c, nil
}

func configText(b []byte) string {
	if len(b) == 0 {
		return "{}"
	}
	return string(b)
}

// CreateConnection inserts c, filling an empty ID.
func (s *Store) CreateConnection(ctx context.Context, c *store.Connection) error {
	if c.ID == "" {
		c.ID = store.NewID()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO connections (`+connectionCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.TenantID, c.ID, c.Kind, c.Name, configText(c.Config), c.SealedSecret, c.Enabled, c.JIT,
		c.DefaultRole, c.LinkMode, c.AcceptUpstreamMFA, micros(c.CreatedAt), micros(c.UpdatedAt))
	return mapErr("CreateConnection", err)
}

func (s *Store) ConnectionByID(ctx context.Context, tenantID, id string) (*store.Connection, error) {
	c, err := scanConnection(s.r.QueryRowContext(ctx,
		`SELECT `+connectionCols+` FROM connections WHERE tenant_id = ? AND id = ?`, tenantID, id))
	return c, mapErr("ConnectionByID", err)
}

// ListConnections returns the tenant's connections, oldest first.
func (s *Store) ListConnections(ctx context.Context, tenantID string) ([]*store.Connection, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+connectionCols+` FROM connections
		WHERE tenant_id = ? ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, mapErr("ListConnections", err)
	}
	list, err := collect(rows, scanConnection)
	return list, mapErr("ListConnections", err)
}

func (s *Store) UpdateConnection(ctx context.Context, c *store.Connection) error {
	res, err := s.w.ExecContext(ctx, `UPDATE connections SET name = ?, config = ?, sealed_secret = ?, enabled = ?,
		jit = ?, default_role = ?, link_mode = ?, accept_upstream_mfa = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`,
		c.Name, configText(c.Config), c.SealedSecret, c.Enabled, c.JIT, c.DefaultRole, c.LinkMode,
		c.AcceptUpstreamMFA, micros(c.UpdatedAt), c.TenantID, c.ID)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("UpdateConnection", err)
}

// DeleteConnection removes the connection; links, states and login records
// go with it (ON DELETE CASCADE).
func (s *Store) DeleteConnection(ctx context.Context, tenantID, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM connections WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("DeleteConnection", err)
}

const linkCols = `tenant_id, connection_id, issuer, subject, user_id, email, created_at, last_used_at`

func scanLink(r rowScanner) (*store.Link, error) {
	var l store.Link
	err := r.Scan(&l.TenantID, &l.ConnectionID, &l.Issuer, &l.Subject, &l.UserID, &l.Email,
		timeCol{&l.CreatedAt}, timeCol{&l.LastUsedAt})
	if err != nil {
		return nil, err
	}
	return &l, nil
}

func (s *Store) CreateLink(ctx context.Context, l *store.Link) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO federated_links (`+linkCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		l.TenantID, l.ConnectionID, l.Issuer, l.Subject, l.UserID, l.Email, micros(l.CreatedAt), micros(l.LastUsedAt))
	return mapErr("CreateLink", err)
}

func (s *Store) LinkByKey(ctx context.Context, tenantID, connectionID, issuer, subject string) (*store.Link, error) {
	l, err := scanLink(s.r.QueryRowContext(ctx, `SELECT `+linkCols+` FROM federated_links
		WHERE tenant_id = ? AND connection_id = ? AND issuer = ? AND subject = ?`, tenantID, connectionID, issuer, subject))
	return l, mapErr("LinkByKey", err)
}

// ListUserLinks returns the user's links, oldest first.
func (s *Store) ListUserLinks(ctx context.Context, tenantID, userID string) ([]*store.Link, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+linkCols+` FROM federated_links
		WHERE tenant_id = ? AND user_id = ? ORDER BY created_at, connection_id, issuer, subject`, tenantID, userID)
	if err != nil {
		return nil, mapErr("ListUserLinks", err)
	}
	list, err := collect(rows, scanLink)
	return list, mapErr("ListUserLinks", err)
}

func (s *Store) TouchLink(ctx context.Context, tenantID, connectionID, issuer, subject string, now time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE federated_links SET last_used_at = ?
		WHERE tenant_id = ? AND connection_id = ? AND issuer = ? AND subject = ?`,
		micros(now), tenantID, connectionID, issuer, subject)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("TouchLink", err)
}

func (s *Store) DeleteLink(ctx context.Context, tenantID, userID, connectionID, issuer, subject string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM federated_links
		WHERE tenant_id = ? AND user_id = ? AND connection_id = ? AND issuer = ? AND subject = ?`,
		tenantID, userID, connectionID, issuer, subject)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("DeleteLink", err)
}

func (s *Store) CreateFederationState(ctx context.Context, st *store.FederationState) error {
	if len(st.Hash) == 0 {
		return errors.New("sqlite: CreateFederationState: empty hash")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO federation_states
		(tenant_id, hash, connection_id, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?)`,
		st.TenantID, st.Hash, st.ConnectionID, micros(st.CreatedAt), micros(st.ExpiresAt), microsPtr(st.UsedAt))
	return mapErr("CreateFederationState", err)
}

// ConsumeFederationState marks the state used with one conditional UPDATE.
func (s *Store) ConsumeFederationState(ctx context.Context, tenantID, connectionID string, hash []byte, now time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE federation_states SET used_at = ?1
		WHERE tenant_id = ?2 AND connection_id = ?3 AND hash = ?4 AND used_at IS NULL AND expires_at > ?1`,
		micros(now), tenantID, connectionID, hash)
	if err == nil {
		err = mustAffect(res)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return mapErr("ConsumeFederationState", err)
	}
	var used bool
	err = s.r.QueryRowContext(ctx, `SELECT used_at IS NOT NULL FROM federation_states
		WHERE tenant_id = ? AND connection_id = ? AND hash = ?`, tenantID, connectionID, hash).Scan(&used)
	switch {
	case err != nil: // sql.ErrNoRows: unknown state or another connection
	case used:
		err = store.ErrAlreadyUsed
	default:
		err = store.ErrExpired
	}
	return mapErr("ConsumeFederationState", err)
}

func (s *Store) RecordFederatedLogin(ctx context.Context, tenantID, authRequestID, connectionID string, now time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO federated_logins (tenant_id, auth_request_id, connection_id, created_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id, auth_request_id) DO UPDATE SET connection_id = excluded.connection_id,
			created_at = excluded.created_at WHERE federated_logins.session_id = ''`,
		tenantID, authRequestID, connectionID, micros(now))
	return mapErr("RecordFederatedLogin", err)
}

func (s *Store) AttachFederatedSession(ctx context.Context, tenantID, authRequestID, sessionID string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE federated_logins SET session_id = ?
		WHERE tenant_id = ? AND auth_request_id = ? AND session_id = ''`, sessionID, tenantID, authRequestID)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("AttachFederatedSession", err)
}

func (s *Store) ConnectionSessionIDs(ctx context.Context, tenantID, connectionID string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT session_id FROM federated_logins
		WHERE tenant_id = ? AND connection_id = ? AND session_id <> '' ORDER BY created_at, session_id`,
		tenantID, connectionID)
	if err != nil {
		return nil, mapErr("ConnectionSessionIDs", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, mapErr("ConnectionSessionIDs", err)
		}
		ids = append(ids, id)
	}
	return ids, mapErr("ConnectionSessionIDs", rows.Err())
}

func (s *Store) DeleteExpiredFederationStates(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM federation_states WHERE expires_at < ?`, micros(cutoff))
		if err != nil {
			return err
		}
		a, err := res.RowsAffected()
		if err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, `DELETE FROM federated_logins WHERE session_id = '' AND created_at < ?`, micros(cutoff))
		if err != nil {
			return err
		}
		b, err := res.RowsAffected()
		n = a + b
		return err
	})
	return n, mapErr("DeleteExpiredFederationStates", err)
}
