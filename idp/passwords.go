package idp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
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

// userInputs are the words a password must not be built from.
func userInputs(t *store.Tenant, email, name string) []string {
	return []string{email, name, t.Name}
}

// passwordChange says how a password is being set.
type passwordChange struct {
	// voluntary: the user chose to change it (account page), so the minimum
	// age applies. Forced changes (expired, reset link) skip it.
	voluntary bool
	// keepSession is the session that made the change and stays; every
	// other session of the user ends ("" ends them all).
	keepSession string
	// via names the path in the audit event: account, expired, reset.
	via string
}

// changePassword checks newPW against the tenant policy (minimum age for
// voluntary changes, rules, history), stores it, remembers the old hash,
// ends the user's other sessions, audits and emails the user. An error
// matching policy.ErrPasswordRejected can be shown to the user as is.
func (s *Server) changePassword(ctx context.Context, t *store.Tenant, u *store.User, newPW string, c passwordChange) error {
	if cur, err := s.tenants.ByID(ctx, t.ID); err == nil {
		t = cur
	}
	pol := PasswordPolicy(t.Settings)
	now := s.clock()
	if c.voluntary {
		if err := pol.CanChange(u.PasswordChangedAt, now); err != nil {
			return err
		}
	}
	if err := pol.Check(newPW, userInputs(t, u.Email, u.Name)); err != nil {
		return err
	}
	reused, err := s.reusesHistory(ctx, t, u, pol, newPW)
	if err != nil {
		return err
	}
	if reused {
		return policy.ErrReused
	}
	hash, err := s.hasher.Hash(ctx, policy.NormalizePassword(newPW))
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(ctx, t.ID, u.ID, hash, now); err != nil {
		return err
	}
	if u.PasswordHash != "" {
		// The current password is always compared directly; the table keeps the ones before it.
		if err := s.store.AddPasswordHistory(ctx, t.ID, u.ID, u.PasswordHash, now, pol.HistoryCount-1); err != nil {
			s.log.Error("password history", "tenant", t.Slug, "user_id", u.ID, "err", err)
		}
	}
	u.PasswordHash, u.PasswordChangedAt = hash, now
	ended := s.sessions.EndAll(ctx, t, u.ID, c.keepSession, "password_changed")
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.UserPasswordChanged, UserID: u.ID, SessionID: c.keepSession,
		Detail: map[string]string{"via": c.via, "sessions_ended": fmt.Sprint(ended)}})
	s.mailer.Notify(ctx, t, u, mailer.PasswordChanged, nil)
	return nil
}

// reusesHistory compares newPW with the current hash and the stored
// previous ones, newest first, HistoryCount in all.
func (s *Server) reusesHistory(ctx context.Context, t *store.Tenant, u *store.User, pol policy.PasswordPolicy, newPW string) (bool, error) {
	if pol.HistoryCount <= 0 {
		return false, nil
	}
	var hist [][]byte
	if u.PasswordHash != "" {
		hist = append(hist, []byte(u.PasswordHash))
	}
	prev, err := s.store.ListPasswordHistory(ctx, t.ID, u.ID, pol.HistoryCount)
	if err != nil {
		return false, err
	}
	for _, h := range prev {
		hist = append(hist, []byte(h))
	}
	return pol.ReusesHistory(newPW, hist, func(hash []byte, normalized string) bool {
		return s.hasher.Verify(ctx, string(hash), normalized) == nil
	}), nil
}

// passwordExpired reports whether u's password is past the tenant's maximum age.
func (s *Server) passwordExpired(ctx context.Context, p *tenantProvider, u *store.User) bool {
	if u.PasswordHash == "" {
		return false
	}
	return PasswordPolicy(s.tenantSettings(ctx, p)).Expired(u.PasswordChangedAt, s.clock())
}

// rejection returns the text to show for a password error, or "" when err
// is an internal failure.
func rejection(err error) string {
	if errors.Is(err, policy.ErrPasswordRejected) {
		return err.Error()
	}
	return ""
}

// stepTTL bounds the expired-password step of a sign-in.
const stepTTL = 10 * time.Minute
