package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const keyCols = `tenant_id, id, algorithm, sealed, public_jwk, created_at, retired_at, remove_at`

func scanKey(r rowScanner) (*store.SigningKey, error) {
	var k store.SigningKey
	err := r.Scan(&k.TenantID, &k.ID, &k.Algorithm, bytesCol{&k.Sealed}, bytesCol{&k.PublicJWK},
		timeCol{&k.CreatedAt}, timePtrCol{&k.RetiredAt}, timePtrCol{&k.RemoveAt})
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
	_, err := s.w.ExecContext(ctx, `INSERT INTO signing_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.TenantID, k.ID, k.Algorithm, k.Sealed, k.PublicJWK, micros(k.CreatedAt),
		microsPtr(k.RetiredAt), microsPtr(k.RemoveAt))
	return mapErr("CreateSigningKey", err)
}

// ListSigningKeys returns the keys still published at now, newest first.
func (s *Store) ListSigningKeys(ctx context.Context, tenantID string, now time.Time) ([]*store.SigningKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+keyCols+` FROM signing_keys
		WHERE tenant_id = ? AND (remove_at IS NULL OR remove_at > ?)
		ORDER BY created_at DESC, id DESC`, tenantID, micros(now))
	if err != nil {
		return nil, mapErr("ListSigningKeys", err)
	}
	list, err := collect(rows, scanKey)
	return list, mapErr("ListSigningKeys", err)
}

// RetireSigningKeys retires every other key of the tenant; ErrNotFound (and
// no change) when keepID is not one of its keys.
func (s *Store) RetireSigningKeys(ctx context.Context, tenantID, keepID string, now, removeAt time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		found, err := exists(ctx, tx, `SELECT 1 FROM signing_keys WHERE tenant_id = ? AND id = ?`, tenantID, keepID)
		if err != nil {
			return err
		}
		if !found {
			return store.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `UPDATE signing_keys
			SET retired_at = COALESCE(retired_at, ?), remove_at = COALESCE(remove_at, ?)
			WHERE tenant_id = ? AND id <> ?`, micros(now), micros(removeAt), tenantID, keepID)
		return err
	})
	return mapErr("RetireSigningKeys", err)
}
