package idp

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/password"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/mfa/otp"
)

// Options are what a Server is built from. Only Store, Sealer and PublicURL
// are required.
type Options struct {
	Store     store.Store
	Sealer    *seal.Sealer
	Hasher    *password.Hasher
	PublicURL string // no trailing slash
	// Dev: plain-HTTP cookies, /dev pages. Never in production.
	Dev bool
	// AllowInsecure lets an http:// PublicURL through outside dev.
	AllowInsecure bool
	Clock         func() time.Time
	Rand          io.Reader
	Logger        *slog.Logger
	// TrustedProxies are CIDRs whose X-Forwarded-For is believed.
	TrustedProxies []string
	Metrics        *Metrics
	// BackchannelClient posts OpenID Connect back-channel logout tokens to
	// relying parties; nil means a client with a 5 s timeout that follows no redirects.
	BackchannelClient *http.Client
	// UpstreamHTTPClient talks to upstream identity providers (federation:
	// discovery, token, JWKS, userinfo). It must have a Timeout; default: a
	// client with DefaultUpstreamTimeout.
	UpstreamHTTPClient *http.Client

	// Second factors (docs/mfa.md). EmailSender delivers email codes and
	// notifications (nil: email off); SMSSenders are the configured SMS
	// providers by name ("twilio", "webhook"), DefaultSMSProvider the one a
	// tenant without its own choice uses; Locate names client locations
	// (nil: the /24 or /48 network); Outbox is listed on /dev/outbox in dev
	// mode only; OTPRules overrides the emailed/texted code rules.
	EmailSender        notify.EmailSender
	SMSSenders         map[string]notify.SMSSender
	DefaultSMSProvider string
	Locate             LocationFunc
	Outbox             *notify.Outbox
	OTPRules           *otp.Rules
	// WebAuthnRPID is the passkey relying-party id: the host of PublicURL
	// when empty, or a registrable suffix of it ("example.com" for
	// login.example.com) so passkeys work across its subdomains. Passkeys
	// are off when it is an IP address (browsers refuse those).
	WebAuthnRPID string
}

// Server is the Gatehouse HTTP application: one OpenID provider per tenant,
// login pages, health and metrics.
type Server struct {
	store     store.Store
	sealer    *seal.Sealer
	hasher    *password.Hasher
	keys      *KeyManager
	publicURL string
	dev       bool
	insecure  bool
	clock     func() time.Time
	rand      io.Reader
	log       *slog.Logger
	metrics   *Metrics
	proxies   *proxyPolicy
	cookieKey []byte

	bcl *http.Client // back-channel logout (backchannel.go)

	tenants   *tenantCache
	clients   *clientCache
	users     *userCache
	providers sync.Map // tenant id -> *tenantProvider
	pages     *pages

	upstreamHTTP *http.Client    // federation
	connectors   *connectorCache // federation: opened upstream connectors
	mfa          *mfaDeps        // second factors (mfa.go)
}

// maxTokenLifetime bounds every token a key may have signed (ID and access
// tokens live minutes); a retired key stays published this long.
const maxTokenLifetime = 24 * time.Hour

// New builds a Server.
func New(o Options) (*Server, error) {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Hasher == nil {
		o.Hasher = password.NewHasher(password.OWASP(), 0, nil)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.UpstreamHTTPClient == nil {
		o.UpstreamHTTPClient = defaultUpstreamClient()
	}
	proxies, err := newProxyPolicy(o.TrustedProxies)
	if err != nil {
		return nil, err
	}
	pg, err := newPages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		store:     o.Store,
		sealer:    o.Sealer,
		hasher:    o.Hasher,
		publicURL: strings.TrimSuffix(o.PublicURL, "/"),
		dev:       o.Dev,
		insecure:  o.Dev || o.AllowInsecure,
		clock:     o.Clock,
		rand:      o.Rand,
		log:       o.Logger,
		metrics:   o.Metrics,
		proxies:   proxies,
		cookieKey: o.Sealer.Derive("gatehouse/session-cookie/v1"),
		pages:     pg,
		bcl:       o.BackchannelClient,

		upstreamHTTP: o.UpstreamHTTPClient,
		connectors:   newConnectorCache(),
	}
	if s.mfa, err = newMFADeps(o, o.Sealer, s.publicURL); err != nil {
		return nil, err
	}
	if s.bcl == nil {
		s.bcl = defaultBackchannelClient()
	}
	s.keys = NewKeyManager(o.Store, o.Sealer, o.Clock, maxTokenLifetime)
	s.tenants = newTenantCache(o.Store, o.Clock)
	s.clients = newClientCache(o.Store, o.Clock)
	s.users = newUserCache(o.Store, o.Clock)
	return s, nil
}

// Keys exposes key rotation to the CLI.
func (s *Server) Keys() *KeyManager { return s.keys }

// tenantURL is the issuer of a tenant.
func (s *Server) tenantURL(slug string) string { return s.publicURL + "/t/" + slug }

// audit appends a security event; a failure is logged, never silent.
func (s *Server) audit(ctx context.Context, e *store.AuditEvent) {
	if e.ID == "" {
		e.ID = store.NewID()
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.clock()
	}
	if hc := httpFrom(ctx); hc != nil {
		if e.IP == "" {
			e.IP = hc.ip()
		}
		if e.UserAgent == "" {
			e.UserAgent = hc.userAgent()
		}
	}
	if err := s.store.AppendAuditEvent(ctx, e); err != nil {
		s.log.Error("audit event lost", "type", e.Type, "tenant_id", e.TenantID, "err", err)
	}
}

// ---- short-lived per-process caches ----

// cacheTTL bounds how long a replica may act on a tenant's or client's old
// settings after a change made elsewhere (the CLI, another replica).
const cacheTTL = 5 * time.Second

type cached[T any] struct {
	v  T
	at time.Time
}

type tenantCache struct {
	st    store.Tenants
	clock func() time.Time
	mu    sync.RWMutex
	bySl  map[string]cached[*store.Tenant]
	byId  map[string]cached[*store.Tenant]
}

func newTenantCache(st store.Tenants, clock func() time.Time) *tenantCache {
	return &tenantCache{st: st, clock: clock, bySl: map[string]cached[*store.Tenant]{}, byId: map[string]cached[*store.Tenant]{}}
}

func (c *tenantCache) put(t *store.Tenant, now time.Time) {
	c.mu.Lock()
	c.bySl[t.Slug] = cached[*store.Tenant]{t, now}
	c.byId[t.ID] = cached[*store.Tenant]{t, now}
	c.mu.Unlock()
}

// forget drops a tenant from the cache.
func (c *tenantCache) forget(t *store.Tenant) {
	c.mu.Lock()
	delete(c.bySl, t.Slug)
	delete(c.byId, t.ID)
	c.mu.Unlock()
}

func (c *tenantCache) bySlug(ctx context.Context, slug string) (*store.Tenant, error) {
	now := c.clock()
	c.mu.RLock()
	e, ok := c.bySl[slug]
	c.mu.RUnlock()
	if ok && now.Sub(e.at) < cacheTTL {
		return e.v, nil
	}
	t, err := c.st.TenantBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	c.put(t, now)
	return t, nil
}

func (c *tenantCache) byID(ctx context.Context, id string) (*store.Tenant, error) {
	now := c.clock()
	c.mu.RLock()
	e, ok := c.byId[id]
	c.mu.RUnlock()
	if ok && now.Sub(e.at) < cacheTTL {
		return e.v, nil
	}
	t, err := c.st.TenantByID(ctx, id)
	if err != nil {
		return nil, err
	}
	c.put(t, now)
	return t, nil
}

type clientCache struct {
	st    store.Clients
	clock func() time.Time
	mu    sync.RWMutex
	m     map[[2]string]cached[*store.Client]
}

func newClientCache(st store.Clients, clock func() time.Time) *clientCache {
	return &clientCache{st: st, clock: clock, m: map[[2]string]cached[*store.Client]{}}
}

// get returns an enabled client of the tenant, or store.ErrNotFound.
func (c *clientCache) get(ctx context.Context, tenantID, clientID string) (*store.Client, error) {
	if clientID == "" || len(clientID) > 128 {
		return nil, store.ErrNotFound
	}
	k := [2]string{tenantID, clientID}
	now := c.clock()
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || now.Sub(e.at) >= cacheTTL {
		cl, err := c.st.ClientByID(ctx, tenantID, clientID)
		if err != nil {
			return nil, err
		}
		e = cached[*store.Client]{cl, now}
		c.mu.Lock()
		if len(c.m) > 10000 { // bound memory under a flood of distinct ids
			c.m = map[[2]string]cached[*store.Client]{}
		}
		c.m[k] = e
		c.mu.Unlock()
	}
	if e.v.Disabled {
		return nil, store.ErrNotFound
	}
	return e.v, nil
}

// invalidate drops a client from the cache (after a change in this process).
func (c *clientCache) invalidate(tenantID, clientID string) {
	c.mu.Lock()
	delete(c.m, [2]string{tenantID, clientID})
	c.mu.Unlock()
}

// ---- request context ----

type httpCtxKey struct{}

// httpCtx carries the HTTP exchange into zitadel storage callbacks, which
// only receive a context (logout clears the cookie; audit records the IP).
type httpCtx struct {
	w        http.ResponseWriter
	r        *http.Request
	clientIP string
}

func withHTTP(ctx context.Context, hc *httpCtx) context.Context {
	return context.WithValue(ctx, httpCtxKey{}, hc)
}

func httpFrom(ctx context.Context) *httpCtx {
	hc, _ := ctx.Value(httpCtxKey{}).(*httpCtx)
	return hc
}

func (h *httpCtx) ip() string {
	if h == nil {
		return ""
	}
	return h.clientIP
}

func (h *httpCtx) userAgent() string {
	if h == nil {
		return ""
	}
	ua := h.r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return ua
}

// userCache serves identity claims (userinfo, ID tokens on refresh) without
// a query per request. It never decides access: tokens and sessions are
// checked in the database; disabling a user ends their sessions.
type userCache struct {
	st    store.Users
	clock func() time.Time
	mu    sync.RWMutex
	m     map[[2]string]cached[*store.User]
}

func newUserCache(st store.Users, clock func() time.Time) *userCache {
	return &userCache{st: st, clock: clock, m: map[[2]string]cached[*store.User]{}}
}

func (c *userCache) get(ctx context.Context, tenantID, userID string) (*store.User, error) {
	k := [2]string{tenantID, userID}
	now := c.clock()
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok && now.Sub(e.at) < cacheTTL {
		return e.v, nil
	}
	u, err := c.st.UserByID(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) > 50000 {
		c.m = map[[2]string]cached[*store.User]{}
	}
	c.m[k] = cached[*store.User]{u, now}
	c.mu.Unlock()
	return u, nil
}

// forget drops a user after a change made in this process.
func (c *userCache) forget(tenantID, userID string) {
	c.mu.Lock()
	delete(c.m, [2]string{tenantID, userID})
	c.mu.Unlock()
}
