package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func (s *Store) SetDeviceBlocked(ctx context.Context, tenantID, userID string, hash []byte, blocked bool, now time.Time) error {
	var at *time.Time
	if blocked {
		at = &now
	}
	tag, err := s.pool.Exec(ctx, `UPDATE known_devices SET blocked_at = CASE WHEN $1::timestamptz IS NULL THEN NULL ELSE COALESCE(blocked_at, $1) END
		WHERE tenant_id = $2 AND user_id = $3 AND device_hash = $4`, at, tenantID, userID, hash)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("SetDeviceBlocked", err)
}

func (s *Store) ForgetDevice(ctx context.Context, tenantID, userID string, hash []byte) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		var blocked bool
		if err := tx.QueryRow(ctx, `SELECT blocked_at IS NOT NULL FROM known_devices
			WHERE tenant_id = $1 AND user_id = $2 AND device_hash = $3 FOR UPDATE`, tenantID, userID, hash).Scan(&blocked); err != nil {
			return err
		}
		if blocked {
			return store.ErrConflict
		}
		_, err := tx.Exec(ctx, `DELETE FROM known_devices WHERE tenant_id = $1 AND user_id = $2 AND device_hash = $3`, tenantID, userID, hash)
		return err
	})
	return mapErr("ForgetDevice", err)
}

func (s *Store) SetLocationBlocked(ctx context.Context, tenantID, userID, key string, blocked bool, now time.Time) error {
	var at *time.Time
	if blocked {
		at = &now
	}
	tag, err := s.pool.Exec(ctx, `UPDATE known_locations SET blocked_at = CASE WHEN $1::timestamptz IS NULL THEN NULL ELSE COALESCE(blocked_at, $1) END
		WHERE tenant_id = $2 AND user_id = $3 AND location_key = $4`, at, tenantID, userID, key)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("SetLocationBlocked", err)
}

func (s *Store) ForgetLocation(ctx context.Context, tenantID, userID, key string) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		var blocked bool
		if err := tx.QueryRow(ctx, `SELECT blocked_at IS NOT NULL FROM known_locations
			WHERE tenant_id = $1 AND user_id = $2 AND location_key = $3 FOR UPDATE`, tenantID, userID, key).Scan(&blocked); err != nil {
			return err
		}
		if blocked {
			return store.ErrConflict
		}
		_, err := tx.Exec(ctx, `DELETE FROM known_locations WHERE tenant_id = $1 AND user_id = $2 AND location_key = $3`, tenantID, userID, key)
		return err
	})
	return mapErr("ForgetLocation", err)
}

func (s *Store) DeviceBlocks(ctx context.Context, tenantID, userID string) (map[string]time.Time, error) {
	return s.blocks(ctx, "DeviceBlocks", `SELECT device_hash, blocked_at FROM known_devices
		WHERE tenant_id = $1 AND user_id = $2 AND blocked_at IS NOT NULL`, tenantID, userID)
}

func (s *Store) LocationBlocks(ctx context.Context, tenantID, userID string) (map[string]time.Time, error) {
	return s.blocks(ctx, "LocationBlocks", `SELECT convert_to(location_key, 'UTF8'), blocked_at FROM known_locations
		WHERE tenant_id = $1 AND user_id = $2 AND blocked_at IS NOT NULL`, tenantID, userID)
}

func (s *Store) blocks(ctx context.Context, op, query, tenantID, userID string) (map[string]time.Time, error) {
	rows, err := s.pool.Query(ctx, query, tenantID, userID)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var k []byte
		var at time.Time
		if err := rows.Scan(&k, &at); err != nil {
			return nil, mapErr(op, err)
		}
		out[string(k)] = at.UTC()
	}
	return out, mapErr(op, rows.Err())
}
