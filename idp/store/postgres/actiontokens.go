package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const actionCols = `tenant_id, hash, kind, user_id, created_at, expires_at, used_at`

func scanAction(r pgx.Row) (*store.ActionToken, error) {
	var a store.ActionToken
	var user *string
	if err := r.Scan(&a.TenantID, &a.Hash, &a.Kind, &user, &a.CreatedAt, &a.ExpiresAt, &a.UsedAt); err != nil {
		return nil, err
	}
	if user != nil {
		a.UserID = *user
	}
	return &a, nil
}

func (s *Store) CreateActionToken(ctx context.Context, t *store.ActionToken) error {
	if len(t.Hash) == 0 {
		return errors.New("postgres: CreateActionToken: empty hash")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO action_tokens (`+actionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.TenantID, t.Hash, t.Kind, nullIfEmpty(t.UserID), t.CreatedAt, t.ExpiresAt, t.UsedAt)
	return mapErr("CreateActionToken", err)
}

// ConsumeActionToken marks the token used with one conditional UPDATE.
func (s *Store) ConsumeActionToken(ctx context.Context, tenantID, kind string, hash []byte, now time.Time) (*store.ActionToken, error) {
	a, err := consumeAction(ctx, s.pool, tenantID, kind, hash, now)
	return a, mapErr("ConsumeActionToken", err)
}

// ActionTokenByHash reads a token without consuming it.
func (s *Store) ActionTokenByHash(ctx context.Context, tenantID, kind string, hash []byte) (*store.ActionToken, error) {
	a, err := scanAction(s.pool.QueryRow(ctx, `SELECT `+actionCols+` FROM action_tokens
		WHERE tenant_id = $1 AND hash = $2 AND kind = $3`, tenantID, hash, kind))
	return a, mapErr("ActionTokenByHash", err)
}

// consumeAction is ConsumeActionToken on q (the pool or a transaction).
func consumeAction(ctx context.Context, q querier, tenantID, kind string, hash []byte, now time.Time) (*store.ActionToken, error) {
	a, err := scanAction(q.QueryRow(ctx, `UPDATE action_tokens SET used_at = $1
		WHERE tenant_id = $2 AND hash = $3 AND kind = $4 AND used_at IS NULL AND expires_at > $1
		RETURNING `+actionCols, now, tenantID, hash, kind))
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	// A separate statement, so that it sees a racing consumption.
	var used bool
	err = q.QueryRow(ctx, `SELECT used_at IS NOT NULL FROM action_tokens
		WHERE tenant_id = $1 AND hash = $2 AND kind = $3`, tenantID, hash, kind).Scan(&used)
	switch {
	case err != nil: // pgx.ErrNoRows: unknown hash or other kind
	case used:
		err = store.ErrAlreadyUsed
	default:
		err = store.ErrExpired
	}
	return nil, err
}

// CreateFirstOwner locks the tenant row first, so concurrent first-owner
// sign-ups of one tenant run one after the other and the second sees the
// first one's owner (READ COMMITTED re-reads after the lock).
func (s *Store) CreateFirstOwner(ctx context.Context, hash []byte, owner *store.User, now time.Time) error {
	if owner.Role != store.RoleOwner {
		return errors.New("postgres: CreateFirstOwner: role must be owner")
	}
	err := s.write(ctx, func(tx pgx.Tx) error {
		found, err := exists(ctx, tx, `SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, owner.TenantID)
		if err != nil {
			return err
		}
		if !found {
			return store.ErrNotFound
		}
		if _, err := consumeAction(ctx, tx, owner.TenantID, store.ActionSetupOwner, hash, now); err != nil {
			return err
		}
		has, err := exists(ctx, tx, `SELECT 1 FROM users WHERE tenant_id = $1 AND role = $2`, owner.TenantID, store.RoleOwner)
		if err != nil {
			return err
		}
		if has {
			return store.ErrOwnerExists
		}
		return insertUser(ctx, tx, owner)
	})
	return mapErr("CreateFirstOwner", err)
}

// nullIfEmpty stores "" as NULL (an action token without a user).
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
