package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const keyCols = `tenant_id, id, algorithm, sealed, public_jwk, created_at, retired_at, remove_at`

func scanKey(r pgx.Row) (*store.SigningKey, error) {
	var k store.SigningKey
	err := r.Scan(&k.TenantID, &k.ID, &k.Algorithm, &k.Sealed, &k.PublicJWK, &k.CreatedAt, &k.RetiredAt, &k.RemoveAt)
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// CreateSigningKey inserts k, filling an empty ID (kid).
func (s *Store) CreateSigningKey(ctx context.Context, k *store.SigningKey) error {
	if k.ID == "" {
		k.ID = store.NewID()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO signing_keys (`+keyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.TenantID, k.ID, k.Algorithm, k.Sealed, k.PublicJWK, k.CreatedAt, k.RetiredAt, k.RemoveAt)
	return mapErr("CreateSigningKey", err)
}

// ListSigningKeys returns the keys still published at now, newest first.
func (s *Store) ListSigningKeys(ctx context.Context, tenantID string, now time.Time) ([]*store.SigningKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+keyCols+` FROM signing_keys
		WHERE tenant_id = $1 AND (remove_at IS NULL OR remove_at > $2)
		ORDER BY created_at DESC, id COLLATE "C" DESC`, tenantID, now)
	if err != nil {
		return nil, mapErr("ListSigningKeys", err)
	}
	l, err := collect(rows, scanKey)
	return l, mapErr("ListSigningKeys", err)
}

// RetireSigningKeys retires every other key of the tenant in one statement;
// ErrNotFound (and no change) when keepID is not one of its keys.
func (s *Store) RetireSigningKeys(ctx context.Context, tenantID, keepID string, now, removeAt time.Time) error {
	var found bool
	err := s.pool.QueryRow(ctx, `WITH keep AS (
			SELECT 1 FROM signing_keys WHERE tenant_id = $1 AND id = $2
		), upd AS (
			UPDATE signing_keys
			SET retired_at = COALESCE(retired_at, $3), remove_at = COALESCE(remove_at, $4)
			WHERE tenant_id = $1 AND id <> $2 AND EXISTS (SELECT 1 FROM keep)
		)
		SELECT EXISTS (SELECT 1 FROM keep)`, tenantID, keepID, now, removeAt).Scan(&found)
	if err == nil && !found {
		err = store.ErrNotFound
	}
	return mapErr("RetireSigningKeys", err)
}
