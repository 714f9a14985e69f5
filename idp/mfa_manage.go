package idp

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// ResetMFA removes every second factor, backup code and remembered device of
// a user (an admin's recovery for a user who lost their factors) and ends
// the user's sessions. The user enrolls again at the next sign-in if the
// tenant requires a second factor. It returns how many factors it removed.
func (s *Server) ResetMFA(ctx context.Context, t *store.Tenant, email string) (int64, error) {
	u, err := s.store.UserByEmail(ctx, t.ID, strings.ToLower(strings.TrimSpace(email)))
	if isNotFound(err) {
		return 0, &InputError{Problems: []string{fmt.Sprintf("no user with email %q in tenant %q", email, t.Slug)}}
	}
	if err != nil {
		return 0, err
	}
	n, err := s.store.ResetSecondFactors(ctx, t.ID, u.ID)
	if err != nil {
		return 0, err
	}
	now := s.clock()
	sessions, err := s.store.ListUserSessions(ctx, t.ID, u.ID)
	if err != nil {
		return n, err
	}
	for _, sess := range sessions {
		if sess.Active(now) {
			if err := s.store.EndSession(ctx, t.ID, sess.ID, "mfa_reset", now); err != nil {
				return n, err
			}
		}
	}
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAReset, UserID: u.ID,
		Detail: map[string]string{"factors_removed": strconv.FormatInt(n, 10), "by": "admin"}})
	if n > 0 {
		s.mailer.Notify(ctx, t, u, mailer.FactorRemoved, map[string]any{"Factor": "All your second sign-in methods and backup codes (reset by an administrator)",
			"IP": "an administrator", "Device": "gatehouse user reset-mfa"})
	}
	return n, nil
}
