package manage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/password"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The tenant password policy, applied wherever a password is set: the
// first-owner setup page, `gatehouse user create`, the reset link, the
// account page and the expired-password step of sign-in.

// PasswordPolicy is the tenant's password policy (defaults filled in by policy).
func PasswordPolicy(set store.TenantSettings) policy.PasswordPolicy {
	p := policy.DefaultPasswordPolicy()
	if set.PasswordStrength != "" {
		p.Strength = policy.Level(set.PasswordStrength)
	}
	if set.PasswordMinLength > 0 {
		p.MinLength = set.PasswordMinLength
	}
	p.MinAgeDays = set.PasswordMinAgeDays
	p.MaxAgeDays = set.PasswordMaxAgeDays
	p.HistoryCount = set.PasswordHistoryCount()
	return p
}

// UserInputs are the words a password must not be built from.
func UserInputs(t *store.Tenant, email, name string) []string {
	return []string{email, name, t.Name}
}

// Rejection returns the text to show for a password error, or "" when err
// is an internal failure.
func Rejection(err error) string {
	if errors.Is(err, policy.ErrPasswordRejected) {
		return err.Error()
	}
	return ""
}

// RulesText describes the tenant's rules under a new-password form.
func RulesText(pol policy.PasswordPolicy) string {
	txt := fmt.Sprintf("At least %d characters; common passwords and ones built from your name or email are refused.", pol.MinLength)
	if pol.HistoryCount > 0 {
		txt += fmt.Sprintf(" You cannot reuse your last %d passwords.", pol.HistoryCount)
	}
	return txt
}

// NewPasswordInputProblem checks the two new-password fields before any hashing.
func NewPasswordInputProblem(pw, confirm string) string {
	switch {
	case pw == "":
		return "Enter a new password."
	case len(pw) > web.MaxPasswordLen:
		return fmt.Sprintf("Use at most %d characters.", policy.CeilingMaxLength)
	case pw != confirm:
		return "The two new passwords are not the same."
	}
	return ""
}

// PasswordChange says how a password is being set.
type PasswordChange struct {
	// Voluntary: the user chose to change it (account page), so the minimum
	// age applies. Forced changes (expired, reset link) skip it.
	Voluntary bool
	// KeepSession is the session that made the change and stays; every
	// other session of the user ends ("" ends them all).
	KeepSession string
	// Via names the path in the audit event: account, expired, reset.
	Via string
}

// Passwords sets users' passwords under their tenant's policy.
type Passwords struct {
	Store interface {
		SetPassword(ctx context.Context, tenantID, userID, hash string, now time.Time) error
		AddPasswordHistory(ctx context.Context, tenantID, userID, hash string, now time.Time, keep int) error
		ListPasswordHistory(ctx context.Context, tenantID, userID string, limit int) ([]string, error)
	}
	Tenants interface {
		ByID(ctx context.Context, id string) (*store.Tenant, error)
	}
	Hasher   *password.Hasher
	Sessions *session.Service
	Audit    *audit.Recorder
	Log      *slog.Logger
	Clock    func() time.Time
	// Changed tells the user their password changed (an email sent after
	// the response); wired by the root to the mailer.
	Changed func(ctx context.Context, t *store.Tenant, u *store.User)
}

// Change checks newPW against the tenant policy (minimum age for voluntary
// changes, rules, history), stores it, remembers the old hash, ends the
// user's other sessions, audits and emails the user. An error matching
// policy.ErrPasswordRejected can be shown to the user as is (Rejection).
func (p *Passwords) Change(ctx context.Context, t *store.Tenant, u *store.User, newPW string, c PasswordChange) error {
	if cur, err := p.Tenants.ByID(ctx, t.ID); err == nil {
		t = cur
	}
	pol := PasswordPolicy(t.Settings)
	now := p.Clock()
	if c.Voluntary {
		if err := pol.CanChange(u.PasswordChangedAt, now); err != nil {
			return err
		}
	}
	if err := pol.Check(newPW, UserInputs(t, u.Email, u.Name)); err != nil {
		return err
	}
	reused, err := p.reusesHistory(ctx, t, u, pol, newPW)
	if err != nil {
		return err
	}
	if reused {
		return policy.ErrReused
	}
	hash, err := p.Hasher.Hash(ctx, policy.NormalizePassword(newPW))
	if err != nil {
		return err
	}
	if err := p.Store.SetPassword(ctx, t.ID, u.ID, hash, now); err != nil {
		return err
	}
	if u.PasswordHash != "" {
		// The current password is always compared directly; the table keeps the ones before it.
		if err := p.Store.AddPasswordHistory(ctx, t.ID, u.ID, u.PasswordHash, now, pol.HistoryCount-1); err != nil {
			p.Log.Error("password history", "tenant", t.Slug, "user_id", u.ID, "err", err)
		}
	}
	u.PasswordHash, u.PasswordChangedAt = hash, now
	ended := p.Sessions.EndAll(ctx, t, u.ID, c.KeepSession, "password_changed")
	p.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.UserPasswordChanged, UserID: u.ID, SessionID: c.KeepSession,
		Detail: map[string]string{"via": c.Via, "sessions_ended": fmt.Sprint(ended)}})
	p.Changed(ctx, t, u)
	return nil
}

// reusesHistory compares newPW with the current hash and the stored
// previous ones, newest first, HistoryCount in all.
func (p *Passwords) reusesHistory(ctx context.Context, t *store.Tenant, u *store.User, pol policy.PasswordPolicy, newPW string) (bool, error) {
	if pol.HistoryCount <= 0 {
		return false, nil
	}
	var hist [][]byte
	if u.PasswordHash != "" {
		hist = append(hist, []byte(u.PasswordHash))
	}
	prev, err := p.Store.ListPasswordHistory(ctx, t.ID, u.ID, pol.HistoryCount)
	if err != nil {
		return false, err
	}
	for _, h := range prev {
		hist = append(hist, []byte(h))
	}
	return pol.ReusesHistory(newPW, hist, func(hash []byte, normalized string) bool {
		return p.Hasher.Verify(ctx, string(hash), normalized) == nil
	}), nil
}

// Expired reports whether u's password is past t's maximum age.
func (p *Passwords) Expired(t *store.Tenant, u *store.User) bool {
	if u.PasswordHash == "" {
		return false
	}
	return PasswordPolicy(t.Settings).Expired(u.PasswordChangedAt, p.Clock())
}
