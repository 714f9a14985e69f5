package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const clientCols = `tenant_id, id, name, secret_hash, public, app_type, redirect_uris,
	post_logout_redirect_uris, grant_types, disabled, created_at, updated_at, scopes`

func scanClient(r rowScanner) (*store.Client, error) {
	var c store.Client
	err := r.Scan(&c.TenantID, &c.ID, &c.Name, bytesCol{&c.SecretHash}, &c.Public, &c.AppType,
		listCol{&c.RedirectURIs}, listCol{&c.PostLogoutRedirectURIs}, listCol{&c.GrantTypes},
		&c.Disabled, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, listCol{&c.Scopes})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// CreateClient inserts c, filling an empty ID.
func (s *Store) CreateClient(ctx context.Context, c *store.Client) error {
	if c.ID == "" {
		c.ID = store.NewID()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO clients (`+clientCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.TenantID, c.ID, c.Name, bytesOrNull(c.SecretHash), c.Public, c.AppType,
		listJSON(c.RedirectURIs), listJSON(c.PostLogoutRedirectURIs), listJSON(c.GrantTypes),
		c.Disabled, micros(c.CreatedAt), micros(c.UpdatedAt), listJSON(c.Scopes))
	return mapErr("CreateClient", err)
}

func (s *Store) ClientByID(ctx context.Context, tenantID, clientID string) (*store.Client, error) {
	c, err := scanClient(s.r.QueryRowContext(ctx,
		`SELECT `+clientCols+` FROM clients WHERE tenant_id = ? AND id = ?`, tenantID, clientID))
	return c, mapErr("ClientByID", err)
}

// ListClients returns the tenant's clients by client id.
func (s *Store) ListClients(ctx context.Context, tenantID string) ([]*store.Client, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+clientCols+` FROM clients WHERE tenant_id = ? ORDER BY id`, tenantID)
	if err != nil {
		return nil, mapErr("ListClients", err)
	}
	list, err := collect(rows, scanClient)
	return list, mapErr("ListClients", err)
}

// UpdateClient saves Name, SecretHash, the redirect URI lists, GrantTypes, Scopes,
// AppType, Public, Disabled and (when set) UpdatedAt.
func (s *Store) UpdateClient(ctx context.Context, c *store.Client) error {
	res, err := s.w.ExecContext(ctx, `UPDATE clients
		SET name = ?, secret_hash = ?, redirect_uris = ?, post_logout_redirect_uris = ?, grant_types = ?,
			app_type = ?, public = ?, disabled = ?, updated_at = COALESCE(?, updated_at), scopes = ?
		WHERE tenant_id = ? AND id = ?`,
		c.Name, bytesOrNull(c.SecretHash), listJSON(c.RedirectURIs), listJSON(c.PostLogoutRedirectURIs),
		listJSON(c.GrantTypes), c.AppType, c.Public, c.Disabled, microsOrNull(c.UpdatedAt), listJSON(c.Scopes), c.TenantID, c.ID)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("UpdateClient", err)
}

// DeleteClient removes the client with its auth requests and refresh tokens,
// and records its refresh families as revoked (their access tokens die too),
// in one transaction.
func (s *Store) DeleteClient(ctx context.Context, tenantID, clientID string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM clients WHERE tenant_id = ? AND id = ?`, tenantID, clientID)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		if _, err := revokeFamiliesBy(ctx, tx, byClient, tenantID, clientID, time.Time{}, false); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`DELETE FROM refresh_tokens WHERE tenant_id = ? AND client_id = ?`, tenantID, clientID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`DELETE FROM auth_requests WHERE tenant_id = ? AND client_id = ?`, tenantID, clientID)
		return err
	})
	return mapErr("DeleteClient", err)
}
