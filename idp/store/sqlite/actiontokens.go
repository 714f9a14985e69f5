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

// ConsumeActionToken marks the token used with one conditional UPDATE.
func (s *Store) ConsumeActionToken(ctx context.Context, tenantID, kind string, hash []byte, now time.Time) (*store.ActionToken, error) {
	a, err := scanAction(s.w.QueryRowContext(ctx, `UPDATE action_tokens SET used_at = ?1
		WHERE tenant_id = ?2 AND hash = ?3 AND kind = ?4 AND used_at IS NULL AND expires_at > ?1
		RETURNING `+actionCols, micros(now), tenantID, hash, kind))
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, mapErr("ConsumeActionToken", err)
	}
	var used bool
	err = s.r.QueryRowContext(ctx, `SELECT used_at IS NOT NULL FROM action_tokens
		WHERE tenant_id = ? AND hash = ? AND kind = ?`, tenantID, hash, kind).Scan(&used)
	switch {
	case err != nil: // sql.ErrNoRows: unknown hash or other kind
	case used:
		err = store.ErrAlreadyUsed
	default:
		err = store.ErrExpired
	}
	return nil, mapErr("ConsumeActionToken", err)
}
