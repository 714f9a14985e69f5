package factors

import (
	"context"
	"strconv"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// ResetMFA removes every second factor, backup code and remembered device of
// u (an administrator's recovery for a user who lost their factors) and
// ends u's sessions. The user enrols again at the next sign-in if the
// tenant requires a second factor. It returns how many factors it removed.
func (s *Service) ResetMFA(ctx context.Context, t *store.Tenant, u *store.User) (int64, error) {
	n, err := s.Store.ResetSecondFactors(ctx, t.ID, u.ID)
	if err != nil {
		return 0, err
	}
	now := s.Clock()
	sessions, err := s.Store.ListUserSessions(ctx, t.ID, u.ID)
	if err != nil {
		return n, err
	}
	for _, sess := range sessions {
		if sess.Active(now) {
			if err := s.Store.EndSession(ctx, t.ID, sess.ID, "mfa_reset", now); err != nil {
				return n, err
			}
		}
	}
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAReset, UserID: u.ID,
		Detail: map[string]string{"factors_removed": strconv.FormatInt(n, 10), "by": "admin"}})
	if n > 0 {
		s.Notify(ctx, t, u, mailFactorRemoved, map[string]any{"Factor": "All your second sign-in methods and backup codes (reset by an administrator)",
			"IP": "an administrator", "Device": "gatehouse user reset-mfa"})
	}
	return n, nil
}
