package session

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/keys"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Store is what the service reads and writes: the sessions, the
// applications each signed into, the clients' back-channel logout URIs, and
// new sign-in requests (bound to their browser). store.Store satisfies it.
type Store interface {
	store.Sessions
	store.SessionClients
	BackchannelLogoutURI(ctx context.Context, tenantID, clientID string) (string, error)
	CreateAuthRequest(ctx context.Context, r *store.AuthRequest) error
}

// Tenants returns a tenant as it is now (tenant.Tenants, cached briefly), so
// a changed idle timeout or lifetime applies to the next session.
type Tenants interface {
	ByID(ctx context.Context, id string) (*store.Tenant, error)
}

// Service is the SSO session service. Every field is required.
type Service struct {
	Store   Store
	Tenants Tenants
	// Keys signs logout tokens with the tenant's current key.
	Keys  *keys.Manager
	Audit *audit.Recorder
	Log   *slog.Logger
	Clock func() time.Time
	Rand  io.Reader
	// CookieKey keys the session cookie's MAC (derived from the master key).
	CookieKey []byte
	// Dev: cookies without the __Host- prefix and Secure, for plain http.
	Dev bool
	// Backchannel posts logout tokens to relying parties
	// (NewBackchannelClient: a short timeout, no redirects followed).
	Backchannel *http.Client
	// Issuer is the issuer URL of the tenant with this slug: the iss of its
	// logout tokens.
	Issuer func(slug string) string
}

// settings are t's current settings, or t's own when the tenant cannot be
// read now.
func (s *Service) settings(ctx context.Context, t *store.Tenant) store.TenantSettings {
	if cur, err := s.Tenants.ByID(ctx, t.ID); err == nil {
		return cur.Settings
	}
	return t.Settings
}

func truncate(v string, n int) string {
	if len(v) > n {
		return v[:n]
	}
	return v
}
