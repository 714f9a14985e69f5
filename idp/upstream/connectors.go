package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/connectors"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// DefaultTimeout bounds every request to an upstream (discovery, token,
// JWKS, userinfo) made with DefaultClient.
const DefaultTimeout = 10 * time.Second

// DefaultClient is the HTTP client for upstreams when none is configured.
func DefaultClient() *http.Client {
	return &http.Client{Timeout: DefaultTimeout}
}

// Store is what the service reads and writes: connections, and the
// single-use states of federation flows. store.Store is one.
type Store interface {
	ConnectionByID(ctx context.Context, tenantID, id string) (*store.Connection, error)
	CreateFederationState(ctx context.Context, st *store.FederationState) error
	ConsumeFederationState(ctx context.Context, tenantID, connectionID string, hash []byte, now time.Time) error
}

// Service opens upstream connections and keeps the federation flow. The
// root builds it in idp.New; it must not be copied after first use.
type Service struct {
	Store  Store
	Sealer *seal.Sealer // client secrets at rest, the flow cookie
	// HTTP talks to the upstreams; it must have a Timeout (DefaultClient).
	HTTP  *http.Client
	Clock func() time.Time
	Rand  io.Reader
	// Dev names the flow cookies without __Host- and sets them without
	// Secure, for plain-HTTP development. Never in production.
	Dev bool
	// TenantURL is the issuer URL of a tenant; a connection's callback
	// hangs off it.
	TenantURL func(slug string) string

	mu         sync.Mutex
	connectors map[[2]string]connectorEntry // (tenant id, connection id)
}

type connectorEntry struct {
	conn    federation.Connector
	updated time.Time
}

// Connector returns the opened connector of c, running discovery the first
// time and after every change of the connection.
func (s *Service) Connector(ctx context.Context, t *store.Tenant, c *store.Connection) (federation.Connector, error) {
	k := [2]string{t.ID, c.ID}
	s.mu.Lock()
	e, ok := s.connectors[k]
	s.mu.Unlock()
	if ok && e.updated.Equal(c.UpdatedAt) {
		return e.conn, nil
	}
	secret, err := s.OpenSecret(t, c)
	if err != nil {
		return nil, err
	}
	cfg, err := s.config(t.Slug, c, secret)
	if err != nil {
		return nil, err
	}
	conn, err := federation.New(ctx, cfg, s.HTTP, federation.Clock(s.Clock))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.connectors == nil {
		s.connectors = map[[2]string]connectorEntry{}
	}
	s.connectors[k] = connectorEntry{conn: conn, updated: c.UpdatedAt}
	s.mu.Unlock()
	return conn, nil
}

// Forget drops the opened connector of a connection that changed or was
// removed.
func (s *Service) Forget(tenantID, connectionID string) {
	s.mu.Lock()
	delete(s.connectors, [2]string{tenantID, connectionID})
	s.mu.Unlock()
}

// EnabledConnection loads a connection that may be used to sign in or
// link; a disabled or unknown one is store.ErrNotFound.
func (s *Service) EnabledConnection(ctx context.Context, t *store.Tenant, id string) (*store.Connection, error) {
	if id == "" || len(id) > 64 {
		return nil, store.ErrNotFound
	}
	c, err := s.Store.ConnectionByID(ctx, t.ID, id)
	if err != nil {
		return nil, err
	}
	if !c.Enabled {
		return nil, store.ErrNotFound
	}
	return c, nil
}

// RedirectURI is the callback every upstream registers for connection id
// of tenant slug.
func (s *Service) RedirectURI(slug, id string) string {
	return s.TenantURL(slug) + "/login/federated/" + id + "/callback"
}

// SealSecret seals a connection's client secret for the store, bound to
// the tenant and the connection.
func (s *Service) SealSecret(t *store.Tenant, c *store.Connection, secret string) ([]byte, error) {
	return s.Sealer.Seal(seal.PurposeUpstreamSecret, t.ID+"/"+c.ID, []byte(secret))
}

// OpenSecret is the client secret of a stored connection.
func (s *Service) OpenSecret(t *store.Tenant, c *store.Connection) (string, error) {
	b, err := s.Sealer.Open(seal.PurposeUpstreamSecret, t.ID+"/"+c.ID, c.SealedSecret)
	if err != nil {
		return "", fmt.Errorf("connection %s: client secret cannot be unsealed (wrong master key?): %w", c.ID, err)
	}
	return string(b), nil
}

// config builds the federation config of a stored connection.
func (s *Service) config(slug string, c *store.Connection, secret string) (federation.Config, error) {
	var m map[string]any
	if err := json.Unmarshal(c.Config, &m); err != nil {
		return nil, fmt.Errorf("%w: stored settings: %w", federation.ErrInvalidConfig, err)
	}
	if m == nil {
		m = map[string]any{}
	}
	m["connection_id"] = c.ID
	m["client_secret"] = secret
	m["redirect_url"] = s.RedirectURI(slug, c.ID)
	full, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return connectors.Decode(federation.Kind(c.Kind), full)
}
