package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Known devices and locations (shared with the device and location centre).

const deviceCols = `tenant_id, user_id, device_hash, label, ip, first_seen, last_seen, remember_until`

func scanDevice(r pgx.Row) (*store.KnownDevice, error) {
	var d store.KnownDevice
	err := r.Scan(&d.TenantID, &d.UserID, &d.DeviceHash, &d.Label, &d.IP, &d.FirstSeen,
		&d.LastSeen, &d.RememberUntil)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func (s *Store) TouchDevice(ctx context.Context, d *store.KnownDevice) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO known_devices (`+deviceCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (tenant_id, user_id, device_hash) DO UPDATE SET label = excluded.label, ip = excluded.ip,
		last_seen = excluded.last_seen, remember_until = coalesce(excluded.remember_until, known_devices.remember_until)`,
		d.TenantID, d.UserID, d.DeviceHash, d.Label, d.IP, d.FirstSeen, d.LastSeen, d.RememberUntil)
	return mapErr("TouchDevice", err)
}

func (s *Store) Device(ctx context.Context, tenantID, userID string, hash []byte) (*store.KnownDevice, error) {
	d, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceCols+` FROM known_devices
		WHERE tenant_id = $1 AND user_id = $2 AND device_hash = $3`, tenantID, userID, hash))
	return d, mapErr("Device", err)
}

func (s *Store) ListDevices(ctx context.Context, tenantID, userID string) ([]*store.KnownDevice, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deviceCols+` FROM known_devices WHERE tenant_id = $1 AND user_id = $2
		ORDER BY last_seen DESC`, tenantID, userID)
	if err != nil {
		return nil, mapErr("ListDevices", err)
	}
	defer rows.Close()
	var out []*store.KnownDevice
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, mapErr("ListDevices", err)
		}
		out = append(out, d)
	}
	return out, mapErr("ListDevices", rows.Err())
}

func (s *Store) ForgetRememberedDevices(ctx context.Context, tenantID, userID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE known_devices SET remember_until = NULL WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
	return mapErr("ForgetRememberedDevices", err)
}

const locationCols = `tenant_id, user_id, location_key, label, first_seen, last_seen`

func scanLocation(r pgx.Row) (*store.KnownLocation, error) {
	var l store.KnownLocation
	if err := r.Scan(&l.TenantID, &l.UserID, &l.Key, &l.Label, &l.FirstSeen, &l.LastSeen); err != nil {
		return nil, err
	}
	return &l, nil
}

func (s *Store) TouchLocation(ctx context.Context, l *store.KnownLocation) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO known_locations (`+locationCols+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant_id, user_id, location_key) DO UPDATE SET label = excluded.label, last_seen = excluded.last_seen`,
		l.TenantID, l.UserID, l.Key, l.Label, l.FirstSeen, l.LastSeen)
	return mapErr("TouchLocation", err)
}

func (s *Store) Location(ctx context.Context, tenantID, userID, key string) (*store.KnownLocation, error) {
	l, err := scanLocation(s.pool.QueryRow(ctx, `SELECT `+locationCols+` FROM known_locations
		WHERE tenant_id = $1 AND user_id = $2 AND location_key = $3`, tenantID, userID, key))
	return l, mapErr("Location", err)
}

func (s *Store) ListLocations(ctx context.Context, tenantID, userID string) ([]*store.KnownLocation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+locationCols+` FROM known_locations WHERE tenant_id = $1 AND user_id = $2
		ORDER BY last_seen DESC`, tenantID, userID)
	if err != nil {
		return nil, mapErr("ListLocations", err)
	}
	defer rows.Close()
	var out []*store.KnownLocation
	for rows.Next() {
		l, err := scanLocation(rows)
		if err != nil {
			return nil, mapErr("ListLocations", err)
		}
		out = append(out, l)
	}
	return out, mapErr("ListLocations", rows.Err())
}
