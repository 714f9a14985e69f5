package manage

import (
	"context"

	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Sessions for administrators: list a user's active sessions and end them
// (the user's own "Where you're signed in" page is the account pages').

// ActiveSessions lists the user's active sessions (session.Service.ListActive) for the CLI.
func (s *Service) ActiveSessions(ctx context.Context, t *store.Tenant, userID string) ([]session.Info, error) {
	return s.Sessions.ListActive(ctx, t, userID)
}

// RevokeSessions ends sessions of a user for an admin (session.Service.Revoke), for the CLI and e2e.
func (s *Service) RevokeSessions(ctx context.Context, t *store.Tenant, userID, id string) (int, error) {
	return s.Sessions.Revoke(ctx, t, userID, id)
}
