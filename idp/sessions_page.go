package idp

import (
	"context"

	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// The "Where you're signed in" page is idp/account's; listing and revoking
// a user's sessions for the CLI and e2e stay here until idp/manage has them.

// ActiveSessions lists the user's active sessions (session.Service.ListActive) for the CLI.
func (s *Server) ActiveSessions(ctx context.Context, t *store.Tenant, userID string) ([]session.Info, error) {
	return s.sessions.ListActive(ctx, t, userID)
}

// RevokeSessions ends sessions of a user for an admin (session.Service.Revoke), for the CLI and e2e.
func (s *Server) RevokeSessions(ctx context.Context, t *store.Tenant, userID, id string) (int, error) {
	return s.sessions.Revoke(ctx, t, userID, id)
}
