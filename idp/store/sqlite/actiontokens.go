package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const actionCols = `tenant_id, hash, kind, user_id, created_at, expires_at, used_at`

func scanAction(r rowScanner) (*store.ActionToken, error) {
	var a store.ActionToken
	var user sql.NullString
	err := r.Scan(&a.TenantID, bytesCol{&a.Hash}, &a.Kind, &user, timeCol{&a.CreatedAt},
		timeCol{&a.ExpiresAt}, timePtrCol{&a.UsedAt})
	if err != nil {
		return nil, err
	}
	a.UserID = user.String
	return &a, nil
}

func (s *Store) CreateActionToken(ctx context.Context, t *store.ActionToken) error {
	if len(t.Hash) == 0 {
		return errors.New("sqlite: CreateActionToken: empty hash")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO action_tokens (`+actionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.TenantID, t.Hash, t.Kind, sql.NullString{String: t.UserID, Valid: t.UserID != ""}, micros(t.CreatedAt), micros(t.ExpiresAt), microsPtr(t.UsedAt))
	return mapErr("CreateActionToken", err)
}

// rowQuerier is the writer pool or a transaction.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ConsumeActionToken marks the token used with one conditional UPDATE.
func (s *Store) ConsumeActionToken(ctx context.Context, tenantID, kind string, hash []byte, now time.Time) (*store.ActionToken, error) {
	a, err := consumeAction(ctx, s.w, s.r, tenantID, kind, hash, now)
	return a, mapErr("ConsumeActionToken", err)
}

// ActionTokenByHash reads a token without consuming it.
func (s *Store) ActionTokenByHash(ctx context.Context, tenantID, kind string, hash []byte) (*store.ActionToken, error) {
	a, err := scanAction(s.r.QueryRowContext(ctx, `SELECT `+actionCols+` FROM action_tokens
		WHERE tenant_id = ? AND hash = ? AND kind = ?`, tenantID, hash, kind))
	return a, mapErr("ActionTokenByHash", err)
}

// consumeAction is ConsumeActionToken on q; look answers why it failed.
func consumeAction(ctx context.Context, q, look rowQuerier, tenantID, kind string, hash []byte, now time.Time) (*store.ActionToken, error) {
	a, err := scanAction(q.QueryRowContext(ctx, `UPDATE action_tokens SET used_at = ?1
		WHERE tenant_id = ?2 AND hash = ?3 AND kind = ?4 AND used_at IS NULL AND expires_at > ?1
		RETURNING `+actionCols, micros(now), tenantID, hash, kind))
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	var used bool
	err = look.QueryRowContext(ctx, `SELECT used_at IS NOT NULL FROM action_tokens
		WHERE tenant_id = ? AND hash = ? AND kind = ?`, tenantID, hash, kind).Scan(&used)
	switch {
	case err != nil: // sql.ErrNoRows: unknown hash or other kind
	case used:
		err = store.ErrAlreadyUsed
	default:
		err = store.ErrExpired
	}
	return nil, err
}

// CreateFirstOwner runs on the single writer in one BEGIN IMMEDIATE
// transaction: no other write can come between the owner check, the token
// and the insert.
func (s *Store) CreateFirstOwner(ctx context.Context, hash []byte, owner *store.User, now time.Time) error {
	if owner.Role != store.RoleOwner {
		return errors.New("sqlite: CreateFirstOwner: role must be owner")
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := consumeAction(ctx, tx, tx, owner.TenantID, store.ActionSetupOwner, hash, now); err != nil {
			return err
		}
		has, err := exists(ctx, tx, `SELECT 1 FROM users WHERE tenant_id = ? AND role = ?`, owner.TenantID, store.RoleOwner)
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
