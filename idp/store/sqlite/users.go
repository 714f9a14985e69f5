package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const userCols = `tenant_id, id, email, email_verified, name, role, password_hash, password_changed_at,
	disabled, created_at, updated_at`

func scanUser(r rowScanner) (*store.User, error) {
	var u store.User
	err := r.Scan(&u.TenantID, &u.ID, &u.Email, &u.EmailVerified, &u.Name, &u.Role, &u.PasswordHash,
		timeCol{&u.PasswordChangedAt}, &u.Disabled, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateUser inserts u with its email lower-cased, filling an empty ID.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	return mapErr("CreateUser", insertUser(ctx, s.w, u))
}

func insertUser(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, u *store.User) error {
	if u.ID == "" {
		u.ID = store.NewID()
	}
	u.Email = strings.ToLower(u.Email)
	_, err := q.ExecContext(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.TenantID, u.ID, u.Email, u.EmailVerified, u.Name, u.Role, u.PasswordHash,
		microsOrNull(u.PasswordChangedAt), u.Disabled, micros(u.CreatedAt), micros(u.UpdatedAt))
	return err
}

func (s *Store) UserByID(ctx context.Context, tenantID, id string) (*store.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx,
		`SELECT `+userCols+` FROM users WHERE tenant_id = ? AND id = ?`, tenantID, id))
	return u, mapErr("UserByID", err)
}

func (s *Store) UserByEmail(ctx context.Context, tenantID, email string) (*store.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx,
		`SELECT `+userCols+` FROM users WHERE tenant_id = ? AND email = ?`, tenantID, strings.ToLower(email)))
	return u, mapErr("UserByEmail", err)
}

// ListUsers returns the tenant's users by email.
func (s *Store) ListUsers(ctx context.Context, tenantID string) ([]*store.User, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+userCols+` FROM users WHERE tenant_id = ? ORDER BY email`, tenantID)
	if err != nil {
		return nil, mapErr("ListUsers", err)
	}
	list, err := collect(rows, scanUser)
	return list, mapErr("ListUsers", err)
}

// UpdateUser saves Email (lower-cased), EmailVerified, Name, Role, Disabled
// and (when set) UpdatedAt.
func (s *Store) UpdateUser(ctx context.Context, u *store.User) error {
	u.Email = strings.ToLower(u.Email)
	res, err := s.w.ExecContext(ctx, `UPDATE users
		SET email = ?, email_verified = ?, name = ?, role = ?, disabled = ?, updated_at = COALESCE(?, updated_at)
		WHERE tenant_id = ? AND id = ?`,
		u.Email, u.EmailVerified, u.Name, u.Role, u.Disabled, microsOrNull(u.UpdatedAt), u.TenantID, u.ID)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("UpdateUser", err)
}

// SetPassword replaces the password hash; PasswordChangedAt and UpdatedAt
// become changedAt.
func (s *Store) SetPassword(ctx context.Context, tenantID, userID, hash string, changedAt time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users
		SET password_hash = ?, password_changed_at = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`,
		hash, micros(changedAt), micros(changedAt), tenantID, userID)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("SetPassword", err)
}
