package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Federation: upstream connections, links, round-trip states and the
// sessions created through a connection (migration 00002).

const connectionCols = `tenant_id, id, kind, name, config, sealed_secret, enabled, jit, default_role,
	link_mode, accept_upstream_mfa, created_at, updated_at`

func scanConnection(r pgx.Row) (*store.Connection, error) {
	var c store.Connection
	var cfg string
	err := r.Scan(&c.TenantID, &c.ID, &c.Kind, &c.Name, &cfg, &c.SealedSecret, &c.Enabled, &c.JIT,
		&c.DefaultRole, &c.LinkMode, &c.AcceptUpstreamMFA, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return nil, err
	}
	c.Config = []byte(cfg)
	if len(c.SealedSecret) == 0 {
		c.SealedSecret = nil
	}
	return &c, nil
}

func configText(b []byte) string {
	if len(b) == 0 {
		return "{}"
	}
	return string(b)
}

func sealedBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// CreateConnection inserts c, filling an empty ID.
func (s *Store) CreateConnection(ctx context.Context, c *store.Connection) error {
	if c.ID == "" {
		c.ID = store.NewID()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO connections (`+connectionCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		c.TenantID, c.ID, c.Kind, c.Name, configText(c.Config), sealedBytes(c.SealedSecret), c.Enabled, c.JIT,
		c.DefaultRole, c.LinkMode, c.AcceptUpstreamMFA, c.CreatedAt, c.UpdatedAt)
	return mapErr("CreateConnection", err)
}

func (s *Store) ConnectionByID(ctx context.Context, tenantID, id string) (*store.Connection, error) {
	c, err := scanConnection(s.pool.QueryRow(ctx,
		`SELECT `+connectionCols+` FROM connections WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return c, mapErr("ConnectionByID", err)
}

// ListConnections returns the tenant's connections, oldest first.
func (s *Store) ListConnections(ctx context.Context, tenantID string) ([]*store.Connection, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+connectionCols+` FROM connections
		WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, mapErr("ListConnections", err)
	}
	list, err := collect(rows, scanConnection)
	return list, mapErr("ListConnections", err)
}

func (s *Store) UpdateConnection(ctx context.Context, c *store.Connection) error {
	tag, err := s.pool.Exec(ctx, `UPDATE connections SET name = $1, config = $2, sealed_secret = $3, enabled = $4,
		jit = $5, default_role = $6, link_mode = $7, accept_upstream_mfa = $8, updated_at = $9
		WHERE tenant_id = $10 AND id = $11`,
		c.Name, configText(c.Config), sealedBytes(c.SealedSecret), c.Enabled, c.JIT, c.DefaultRole, c.LinkMode,
		c.AcceptUpstreamMFA, c.UpdatedAt, c.TenantID, c.ID)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("UpdateConnection", err)
}

// DeleteConnection removes the connection; links, states and login records
// go with it (ON DELETE CASCADE).
func (s *Store) DeleteConnection(ctx context.Context, tenantID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM connections WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("DeleteConnection", err)
}

const linkCols = `tenant_id, connection_id, issuer, subject, user_id, email, created_at, last_used_at`

func scanLink(r pgx.Row) (*store.Link, error) {
	var l store.Link
	err := r.Scan(&l.TenantID, &l.ConnectionID, &l.Issuer, &l.Subject, &l.UserID, &l.Email, &l.CreatedAt, &l.LastUsedAt)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

func (s *Store) CreateLink(ctx context.Context, l *store.Link) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO federated_links (`+linkCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		l.TenantID, l.ConnectionID, l.Issuer, l.Subject, l.UserID, l.Email, l.CreatedAt, l.LastUsedAt)
	return mapErr("CreateLink", err)
}

func (s *Store) LinkByKey(ctx context.Context, tenantID, connectionID, issuer, subject string) (*store.Link, error) {
	l, err := scanLink(s.pool.QueryRow(ctx, `SELECT `+linkCols+` FROM federated_links
		WHERE tenant_id = $1 AND connection_id = $2 AND issuer = $3 AND subject = $4`, tenantID, connectionID, issuer, subject))
	return l, mapErr("LinkByKey", err)
}

// ListUserLinks returns the user's links, oldest first.
func (s *Store) ListUserLinks(ctx context.Context, tenantID, userID string) ([]*store.Link, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+linkCols+` FROM federated_links
		WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, connection_id, issuer, subject`, tenantID, userID)
	if err != nil {
		return nil, mapErr("ListUserLinks", err)
	}
	list, err := collect(rows, scanLink)
	return list, mapErr("ListUserLinks", err)
}

func (s *Store) TouchLink(ctx context.Context, tenantID, connectionID, issuer, subject string, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE federated_links SET last_used_at = $1
		WHERE tenant_id = $2 AND connection_id = $3 AND issuer = $4 AND subject = $5`,
		now, tenantID, connectionID, issuer, subject)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("TouchLink", err)
}

func (s *Store) DeleteLink(ctx context.Context, tenantID, userID, connectionID, issuer, subject string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM federated_links
		WHERE tenant_id = $1 AND user_id = $2 AND connection_id = $3 AND issuer = $4 AND subject = $5`,
		tenantID, userID, connectionID, issuer, subject)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("DeleteLink", err)
}

func (s *Store) CreateFederationState(ctx context.Context, st *store.FederationState) error {
	if len(st.Hash) == 0 {
		return errors.New("postgres: CreateFederationState: empty hash")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO federation_states
		(tenant_id, hash, connection_id, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		st.TenantID, st.Hash, st.ConnectionID, st.CreatedAt, st.ExpiresAt, st.UsedAt)
	return mapErr("CreateFederationState", err)
}

// ConsumeFederationState marks the state used with one conditional UPDATE.
func (s *Store) ConsumeFederationState(ctx context.Context, tenantID, connectionID string, hash []byte, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE federation_states SET used_at = $1
		WHERE tenant_id = $2 AND connection_id = $3 AND hash = $4 AND used_at IS NULL AND expires_at > $1`,
		now, tenantID, connectionID, hash)
	if err == nil {
		err = mustAffect(tag)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return mapErr("ConsumeFederationState", err)
	}
	// A separate statement, so that it sees a racing consumption.
	var used bool
	err = s.pool.QueryRow(ctx, `SELECT used_at IS NOT NULL FROM federation_states
		WHERE tenant_id = $1 AND connection_id = $2 AND hash = $3`, tenantID, connectionID, hash).Scan(&used)
	switch {
	case err != nil: // pgx.ErrNoRows: unknown state or another connection
	case used:
		err = store.ErrAlreadyUsed
	default:
		err = store.ErrExpired
	}
	return mapErr("ConsumeFederationState", err)
}

func (s *Store) RecordFederatedLogin(ctx context.Context, tenantID, authRequestID, connectionID string, now time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO federated_logins (tenant_id, auth_request_id, connection_id, created_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant_id, auth_request_id) DO UPDATE SET connection_id = excluded.connection_id,
			created_at = excluded.created_at WHERE federated_logins.session_id = ''`,
		tenantID, authRequestID, connectionID, now)
	return mapErr("RecordFederatedLogin", err)
}

func (s *Store) AttachFederatedSession(ctx context.Context, tenantID, authRequestID, sessionID string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE federated_logins SET session_id = $1
		WHERE tenant_id = $2 AND auth_request_id = $3 AND session_id = ''`, sessionID, tenantID, authRequestID)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("AttachFederatedSession", err)
}

func (s *Store) ConnectionSessionIDs(ctx context.Context, tenantID, connectionID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT session_id FROM federated_logins
		WHERE tenant_id = $1 AND connection_id = $2 AND session_id <> '' ORDER BY created_at, session_id`,
		tenantID, connectionID)
	if err != nil {
		return nil, mapErr("ConnectionSessionIDs", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, mapErr("ConnectionSessionIDs", err)
}

func (s *Store) DeleteExpiredFederationStates(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM federation_states WHERE expires_at < $1`, cutoff)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		tag, err = tx.Exec(ctx, `DELETE FROM federated_logins WHERE session_id = '' AND created_at < $1`, cutoff)
		n += tag.RowsAffected()
		return err
	})
	return n, mapErr("DeleteExpiredFederationStates", err)
}
