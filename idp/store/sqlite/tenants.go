package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const tenantCols = `id, slug, name, settings, created_at, updated_at`

func scanTenant(r rowScanner) (*store.Tenant, error) {
	var t store.Tenant
	err := r.Scan(&t.ID, &t.Slug, &t.Name, jsonCol{&t.Settings}, timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func settingsJSON(s store.TenantSettings) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("settings: %w", err)
	}
	return string(b), nil
}

// CreateTenant inserts t, filling an empty ID.
func (s *Store) CreateTenant(ctx context.Context, t *store.Tenant) error {
	if t.ID == "" {
		t.ID = store.NewID()
	}
	settings, err := settingsJSON(t.Settings)
	if err != nil {
		return mapErr("CreateTenant", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO tenants (`+tenantCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.Slug, t.Name, settings, micros(t.CreatedAt), micros(t.UpdatedAt))
	return mapErr("CreateTenant", err)
}

func (s *Store) TenantByID(ctx context.Context, id string) (*store.Tenant, error) {
	t, err := scanTenant(s.r.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = ?`, id))
	return t, mapErr("TenantByID", err)
}

func (s *Store) TenantBySlug(ctx context.Context, slug string) (*store.Tenant, error) {
	t, err := scanTenant(s.r.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE slug = ?`, slug))
	return t, mapErr("TenantBySlug", err)
}

// ListTenants returns every tenant by slug.
func (s *Store) ListTenants(ctx context.Context) ([]*store.Tenant, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tenantCols+` FROM tenants ORDER BY slug`)
	if err != nil {
		return nil, mapErr("ListTenants", err)
	}
	list, err := collect(rows, scanTenant)
	return list, mapErr("ListTenants", err)
}

// UpdateTenant saves Name, Settings and (when set) UpdatedAt.
func (s *Store) UpdateTenant(ctx context.Context, t *store.Tenant) error {
	settings, err := settingsJSON(t.Settings)
	if err != nil {
		return mapErr("UpdateTenant", err)
	}
	res, err := s.w.ExecContext(ctx,
		`UPDATE tenants SET name = ?, settings = ?, updated_at = COALESCE(?, updated_at) WHERE id = ?`,
		t.Name, settings, microsOrNull(t.UpdatedAt), t.ID)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("UpdateTenant", err)
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(rowScanner) (*T, error)) ([]*T, error) {
	defer rows.Close()
	var list []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}
