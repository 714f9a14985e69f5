package op

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/keys"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/tenant"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Handler is the OpenID provider of every tenant: the per-tenant zitadel
// providers (provider.go), their op.Storage (opstorage.go) and the
// endpoints Gatehouse answers in front of zitadel. The root builds one in
// idp.New and mounts it (Mount). Every field is required.
type Handler struct {
	Store Store
	// Sealer derives each tenant's zitadel crypto key from the master key.
	Sealer *seal.Sealer
	// Keys signs tokens and publishes each tenant's JWKS.
	Keys    *keys.Manager
	Tenants *tenant.Tenants
	Clients *tenant.Clients
	Users   *tenant.Users
	// Sessions ends sessions at logout, reads the browser's session, and
	// binds new authorization requests to the browser (CreateAuthRequest,
	// BoundToBrowser).
	Sessions *session.Service
	Audit    *audit.Recorder
	Pages    *web.Pages
	// Gate applies the tenant's API allowlist to the token (client
	// credentials) and introspection endpoints; its Refused records a refusal.
	Gate  *web.IPGate
	Log   *slog.Logger
	Clock func() time.Time
	Rand  io.Reader
	// Insecure lets an issuer be served over plain http (dev, AllowInsecure).
	Insecure bool
	// Dev: refusal pages say what was wrong (for developers integrating an app).
	Dev bool
	// Issuer is the issuer URL of the tenant with this slug.
	Issuer func(slug string) string
	// Tokens counts the access tokens issued, by grant type (label "grant").
	Tokens *prometheus.CounterVec

	providers sync.Map // tenant id -> *tenantProvider
}

// Store is what the OP reads and writes: authorization requests and their
// codes, refresh tokens and access-token revocations, and the sessions and
// users tokens depend on. store.Store satisfies it.
type Store interface {
	AuthRequestByID(ctx context.Context, tenantID, id string) (*store.AuthRequest, error)
	AuthRequestByCode(ctx context.Context, tenantID string, codeHash []byte) (*store.AuthRequest, error)
	SetAuthCode(ctx context.Context, tenantID, id string, codeHash []byte) error
	ConsumeAuthCode(ctx context.Context, tenantID string, codeHash []byte, accessTokenID, familyID string, now time.Time) (*store.AuthRequest, error)

	CreateRefreshToken(ctx context.Context, t *store.RefreshToken) error
	RefreshTokenByHash(ctx context.Context, tenantID string, hash []byte) (*store.RefreshToken, error)
	RotateRefreshToken(ctx context.Context, tenantID string, oldHash []byte, next *store.RefreshToken, now time.Time) error
	RevokeRefreshFamily(ctx context.Context, tenantID, familyID string, now time.Time) error
	RevokeAccessToken(ctx context.Context, tenantID, tokenID string, expiresAt time.Time) error
	AccessTokenActive(ctx context.Context, tenantID string, ref store.AccessTokenRef, now time.Time) (bool, error)

	SessionByID(ctx context.Context, tenantID, id string) (*store.Session, error)
	TouchSession(ctx context.Context, tenantID, id string, now time.Time, idle time.Duration) error
	UserByID(ctx context.Context, tenantID, id string) (*store.User, error)
	// Ping is zitadel's health check.
	Ping(ctx context.Context) error
}

var _ Store = store.Store(nil)
