package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func (s *Store) SetDeviceBlocked(ctx context.Context, tenantID, userID string, hash []byte, blocked bool, now time.Time) error {
	var at any
	if blocked {
		at = micros(now)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE known_devices SET blocked_at = CASE WHEN ?1 IS NULL THEN NULL ELSE COALESCE(blocked_at, ?1) END
		WHERE tenant_id = ?2 AND user_id = ?3 AND device_hash = ?4`, at, tenantID, userID, hash)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("SetDeviceBlocked", err)
}

func (s *Store) ForgetDevice(ctx context.Context, tenantID, userID string, hash []byte) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var blocked bool
		if err := tx.QueryRowContext(ctx, `SELECT blocked_at IS NOT NULL FROM known_devices
			WHERE tenant_id = ? AND user_id = ? AND device_hash = ?`, tenantID, userID, hash).Scan(&blocked); err != nil {
			return err
		}
		if blocked {
			return store.ErrConflict
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM known_devices WHERE tenant_id = ? AND user_id = ? AND device_hash = ?`, tenantID, userID, hash)
		return err
	})
	return mapErr("ForgetDevice", err)
}

func (s *Store) SetLocationBlocked(ctx context.Context, tenantID, userID, key string, blocked bool, now time.Time) error {
	var at any
	if blocked {
		at = micros(now)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE known_locations SET blocked_at = CASE WHEN ?1 IS NULL THEN NULL ELSE COALESCE(blocked_at, ?1) END
		WHERE tenant_id = ?2 AND user_id = ?3 AND location_key = ?4`, at, tenantID, userID, key)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("SetLocationBlocked", err)
}

func (s *Store) ForgetLocation(ctx context.Context, tenantID, userID, key string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var blocked bool
		if err := tx.QueryRowContext(ctx, `SELECT blocked_at IS NOT NULL FROM known_locations
			WHERE tenant_id = ? AND user_id = ? AND location_key = ?`, tenantID, userID, key).Scan(&blocked); err != nil {
			return err
		}
		if blocked {
			return store.ErrConflict
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM known_locations WHERE tenant_id = ? AND user_id = ? AND location_key = ?`, tenantID, userID, key)
		return err
	})
	return mapErr("ForgetLocation", err)
}

func (s *Store) DeviceBlocks(ctx context.Context, tenantID, userID string) (map[string]time.Time, error) {
	return s.blocks(ctx, "DeviceBlocks", `SELECT device_hash, blocked_at FROM known_devices
		WHERE tenant_id = ? AND user_id = ? AND blocked_at IS NOT NULL`, tenantID, userID)
}

func (s *Store) LocationBlocks(ctx context.Context, tenantID, userID string) (map[string]time.Time, error) {
	return s.blocks(ctx, "LocationBlocks", `SELECT location_key, blocked_at FROM known_locations
		WHERE tenant_id = ? AND user_id = ? AND blocked_at IS NOT NULL`, tenantID, userID)
}

func (s *Store) blocks(ctx context.Context, op, query, tenantID, userID string) (map[string]time.Time, error) {
	rows, err := s.r.QueryContext(ctx, query, tenantID, userID)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var k []byte
		var at time.Time
		if err := rows.Scan(&k, timeCol{&at}); err != nil {
			return nil, mapErr(op, err)
		}
		out[string(k)] = at
	}
	return out, mapErr(op, rows.Err())
}
