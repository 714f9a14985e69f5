package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const clientCols = `tenant_id, id, name, secret_hash, public, app_type, redirect_uris,
	post_logout_redirect_uris, grant_types, disabled, created_at, updated_at, scopes`

func scanClient(r pgx.Row) (*store.Client, error) {
	var c store.Client
	err := r.Scan(&c.TenantID, &c.ID, &c.Name, &c.SecretHash, &c.Public, &c.AppType, &c.RedirectURIs,
		&c.PostLogoutRedirectURIs, &c.GrantTypes, &c.Disabled, &c.CreatedAt, &c.UpdatedAt, &c.Scopes)
	if err != nil {
		return nil, err
	}
	c.SecretHash = bytesOrNull(c.SecretHash)
	c.RedirectURIs = unlist(c.RedirectURIs)
	c.PostLogoutRedirectURIs = unlist(c.PostLogoutRedirectURIs)
	c.GrantTypes = unlist(c.GrantTypes)
	c.Scopes = unlist(c.Scopes)
	return &c, nil
}

// CreateClient inserts c, filling an empty ID.
func (s *Store) CreateClient(ctx context.Context, c *store.Client) error {
	if c.ID == "" {
		c.ID = store.NewID()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO clients (`+clientCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		c.TenantID, c.ID, c.Name, bytesOrNull(c.SecretHash), c.Public, c.AppType, list(c.RedirectURIs),
		list(c.PostLogoutRedirectURIs), list(c.GrantTypes), c.Disabled, c.CreatedAt, c.UpdatedAt, list(c.Scopes))
	return mapErr("CreateClient", err)
}

func (s *Store) ClientByID(ctx context.Context, tenantID, clientID string) (*store.Client, error) {
	c, err := scanClient(s.pool.QueryRow(ctx,
		`SELECT `+clientCols+` FROM clients WHERE tenant_id = $1 AND id = $2`, tenantID, clientID))
	return c, mapErr("ClientByID", err)
}

// ListClients returns the tenant's clients by client id (byte order).
func (s *Store) ListClients(ctx context.Context, tenantID string) ([]*store.Client, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT `+clientCols+` FROM clients WHERE tenant_id = $1 ORDER BY id COLLATE "C"`, tenantID)
	if err != nil {
		return nil, mapErr("ListClients", err)
	}
	l, err := collect(rows, scanClient)
	return l, mapErr("ListClients", err)
}

// UpdateClient saves Name, SecretHash, the redirect URI lists, GrantTypes, Scopes,
// AppType, Public, Disabled and (when set) UpdatedAt.
func (s *Store) UpdateClient(ctx context.Context, c *store.Client) error {
	tag, err := s.pool.Exec(ctx, `UPDATE clients
		SET name = $1, secret_hash = $2, redirect_uris = $3, post_logout_redirect_uris = $4,
			grant_types = $5, app_type = $6, public = $7, disabled = $8, updated_at = COALESCE($9, updated_at),
			scopes = $12
		WHERE tenant_id = $10 AND id = $11`,
		c.Name, bytesOrNull(c.SecretHash), list(c.RedirectURIs), list(c.PostLogoutRedirectURIs),
		list(c.GrantTypes), c.AppType, c.Public, c.Disabled, timeOrNull(c.UpdatedAt), c.TenantID, c.ID, list(c.Scopes))
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("UpdateClient", err)
}

// DeleteClient removes the client with its auth requests and refresh tokens,
// and records its refresh families as revoked, in one transaction.
func (s *Store) DeleteClient(ctx context.Context, tenantID, clientID string) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM clients WHERE tenant_id = $1 AND id = $2`, tenantID, clientID)
		if err != nil {
			return err
		}
		if err := mustAffect(tag); err != nil {
			return err
		}
		if _, err := revokeFamiliesBy(ctx, tx, byClient, tenantID, clientID, time.Time{}, false); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `WITH rt AS (DELETE FROM refresh_tokens WHERE tenant_id = $1 AND client_id = $2)
			DELETE FROM auth_requests WHERE tenant_id = $1 AND client_id = $2`, tenantID, clientID)
		return err
	})
	return mapErr("DeleteClient", err)
}
