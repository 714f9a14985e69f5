package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const tenantCols = `id, slug, name, settings, created_at, updated_at`

func scanTenant(r pgx.Row) (*store.Tenant, error) {
	var t store.Tenant
	var settings []byte
	if err := r.Scan(&t.ID, &t.Slug, &t.Name, &settings, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(settings, &t.Settings); err != nil {
		return nil, fmt.Errorf("tenant settings: %w", err)
	}
	return &t, nil
}

// CreateTenant inserts t, filling an empty ID.
func (s *Store) CreateTenant(ctx context.Context, t *store.Tenant) error {
	if t.ID == "" {
		t.ID = store.NewID()
	}
	settings, err := json.Marshal(t.Settings)
	if err != nil {
		return mapErr("CreateTenant", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO tenants (`+tenantCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.ID, t.Slug, t.Name, settings, t.CreatedAt, t.UpdatedAt)
	return mapErr("CreateTenant", err)
}

func (s *Store) TenantByID(ctx context.Context, id string) (*store.Tenant, error) {
	t, err := scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = $1`, id))
	return t, mapErr("TenantByID", err)
}

func (s *Store) TenantBySlug(ctx context.Context, slug string) (*store.Tenant, error) {
	t, err := scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenants WHERE slug = $1`, slug))
	return t, mapErr("TenantBySlug", err)
}

// ListTenants returns every tenant by slug (byte order).
func (s *Store) ListTenants(ctx context.Context) ([]*store.Tenant, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tenantCols+` FROM tenants ORDER BY slug COLLATE "C"`)
	if err != nil {
		return nil, mapErr("ListTenants", err)
	}
	l, err := collect(rows, scanTenant)
	return l, mapErr("ListTenants", err)
}

// UpdateTenant saves Name, Settings and (when set) UpdatedAt.
func (s *Store) UpdateTenant(ctx context.Context, t *store.Tenant) error {
	settings, err := json.Marshal(t.Settings)
	if err != nil {
		return mapErr("UpdateTenant", err)
	}
	tag, err := s.pool.Exec(ctx,
		`UPDATE tenants SET name = $1, settings = $2, updated_at = COALESCE($3, updated_at) WHERE id = $4`,
		t.Name, settings, timeOrNull(t.UpdatedAt), t.ID)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("UpdateTenant", err)
}
