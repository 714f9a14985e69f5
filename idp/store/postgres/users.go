package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const userCols = `tenant_id, id, email, email_verified, name, role, password_hash, password_changed_at,
	disabled, created_at, updated_at`

func scanUser(r pgx.Row) (*store.User, error) {
	var u store.User
	var changed *time.Time
	err := r.Scan(&u.TenantID, &u.ID, &u.Email, &u.EmailVerified, &u.Name, &u.Role, &u.PasswordHash,
		&changed, &u.Disabled, &u.CreatedAt, &u.UpdatedAt)
	if err != nil {
		return nil, err
	}
	u.PasswordChangedAt = deref(changed)
	return &u, nil
}

// CreateUser inserts u with its email lower-cased, filling an empty ID.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	return mapErr("CreateUser", insertUser(ctx, s.pool, u))
}

func insertUser(ctx context.Context, q querier, u *store.User) error {
	if u.ID == "" {
		u.ID = store.NewID()
	}
	u.Email = strings.ToLower(u.Email)
	_, err := q.Exec(ctx, `INSERT INTO users (`+userCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		u.TenantID, u.ID, u.Email, u.EmailVerified, u.Name, u.Role, u.PasswordHash,
		timeOrNull(u.PasswordChangedAt), u.Disabled, u.CreatedAt, u.UpdatedAt)
	return err
}

func (s *Store) UserByID(ctx context.Context, tenantID, id string) (*store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx,
		`SELECT `+userCols+` FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return u, mapErr("UserByID", err)
}

func (s *Store) UserByEmail(ctx context.Context, tenantID, email string) (*store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx,
		`SELECT `+userCols+` FROM users WHERE tenant_id = $1 AND email = $2`, tenantID, strings.ToLower(email)))
	return u, mapErr("UserByEmail", err)
}

// ListUsers returns the tenant's users by email (byte order).
func (s *Store) ListUsers(ctx context.Context, tenantID string) ([]*store.User, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT `+userCols+` FROM users WHERE tenant_id = $1 ORDER BY email COLLATE "C"`, tenantID)
	if err != nil {
		return nil, mapErr("ListUsers", err)
	}
	l, err := collect(rows, scanUser)
	return l, mapErr("ListUsers", err)
}

// UpdateUser saves Email (lower-cased), EmailVerified, Name, Role, Disabled
// and (when set) UpdatedAt.
func (s *Store) UpdateUser(ctx context.Context, u *store.User) error {
	u.Email = strings.ToLower(u.Email)
	tag, err := s.pool.Exec(ctx, `UPDATE users
		SET email = $1, email_verified = $2, name = $3, role = $4, disabled = $5,
			updated_at = COALESCE($6, updated_at)
		WHERE tenant_id = $7 AND id = $8`,
		u.Email, u.EmailVerified, u.Name, u.Role, u.Disabled, timeOrNull(u.UpdatedAt), u.TenantID, u.ID)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("UpdateUser", err)
}

// SetPassword replaces the password hash; PasswordChangedAt and UpdatedAt
// become changedAt.
func (s *Store) SetPassword(ctx context.Context, tenantID, userID, hash string, changedAt time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users
		SET password_hash = $1, password_changed_at = $2, updated_at = $2
		WHERE tenant_id = $3 AND id = $4`, hash, changedAt, tenantID, userID)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("SetPassword", err)
}
