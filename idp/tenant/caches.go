package tenant

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// The caches only delay how soon a change made
// elsewhere (the CLI, another replica) is seen; nothing that must be exact —
// revocations, single-use values, counters — is ever served from them.

// cacheTTL bounds how long a replica may act on a tenant's, client's or
// user's old data after a change made elsewhere.
const cacheTTL = 5 * time.Second

// cacheMax bounds a cache's entries; a flood of distinct keys empties it
// rather than growing memory (a miss only costs a query).
const cacheMax = 50000

// ttlCache maps keys to values loaded at most cacheTTL ago.
type ttlCache[K comparable, V any] struct {
	clock func() time.Time
	mu    sync.RWMutex
	m     map[K]cachedValue[V]
}

type cachedValue[V any] struct {
	v  V
	at time.Time
}

func newTTLCache[K comparable, V any](clock func() time.Time) *ttlCache[K, V] {
	return &ttlCache[K, V]{clock: clock, m: map[K]cachedValue[V]{}}
}

// get returns the cached value of k, or loads, stores and returns it.
func (c *ttlCache[K, V]) get(ctx context.Context, k K, load func(context.Context) (V, error)) (V, error) {
	now := c.clock()
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok && now.Sub(e.at) < cacheTTL {
		return e.v, nil
	}
	v, err := load(ctx)
	if err != nil {
		return v, err
	}
	c.put(k, v, now)
	return v, nil
}

func (c *ttlCache[K, V]) put(k K, v V, at time.Time) {
	c.mu.Lock()
	if len(c.m) >= cacheMax {
		clear(c.m)
	}
	c.m[k] = cachedValue[V]{v, at}
	c.mu.Unlock()
}

func (c *ttlCache[K, V]) forget(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// Tenants finds tenants by slug (every request) and by id.
type Tenants struct {
	st    store.Tenants
	clock func() time.Time
	slugs *ttlCache[string, *store.Tenant]
	ids   *ttlCache[string, *store.Tenant]
}

// NewTenants caches st, timed by clock.
func NewTenants(st store.Tenants, clock func() time.Time) *Tenants {
	return &Tenants{st: st, clock: clock,
		slugs: newTTLCache[string, *store.Tenant](clock), ids: newTTLCache[string, *store.Tenant](clock)}
}

// BySlug returns the tenant with slug.
func (c *Tenants) BySlug(ctx context.Context, slug string) (*store.Tenant, error) {
	return c.slugs.get(ctx, slug, func(ctx context.Context) (*store.Tenant, error) {
		t, err := c.st.TenantBySlug(ctx, slug)
		if err == nil {
			c.Put(t, c.clock())
		}
		return t, err
	})
}

// ByID returns the tenant with id.
func (c *Tenants) ByID(ctx context.Context, id string) (*store.Tenant, error) {
	return c.ids.get(ctx, id, func(ctx context.Context) (*store.Tenant, error) {
		t, err := c.st.TenantByID(ctx, id)
		if err == nil {
			c.Put(t, c.clock())
		}
		return t, err
	})
}

// Put caches a tenant under both keys.
func (c *Tenants) Put(t *store.Tenant, at time.Time) {
	c.slugs.put(t.Slug, t, at)
	c.ids.put(t.ID, t, at)
}

// Forget drops a tenant after a change made in this process.
func (c *Tenants) Forget(t *store.Tenant) {
	c.slugs.forget(t.Slug)
	c.ids.forget(t.ID)
}

// Clients serves clients on every token, introspection and authorize.
type Clients struct {
	st    store.Clients
	cache *ttlCache[[2]string, *store.Client]
}

// NewClients caches st, timed by clock.
func NewClients(st store.Clients, clock func() time.Time) *Clients {
	return &Clients{st: st, cache: newTTLCache[[2]string, *store.Client](clock)}
}

// Get returns an enabled client of the tenant, or store.ErrNotFound.
func (c *Clients) Get(ctx context.Context, tenantID, clientID string) (*store.Client, error) {
	if clientID == "" || len(clientID) > 128 {
		return nil, store.ErrNotFound
	}
	cl, err := c.cache.get(ctx, [2]string{tenantID, clientID}, func(ctx context.Context) (*store.Client, error) {
		return c.st.ClientByID(ctx, tenantID, clientID)
	})
	if err != nil {
		return nil, err
	}
	if cl.Disabled {
		return nil, store.ErrNotFound
	}
	return cl, nil
}

// Users serves identity claims (userinfo, ID tokens on refresh) without
// a query per request. It never decides access: tokens and sessions are
// checked in the database, and disabling a user ends their sessions.
type Users struct {
	st    store.Users
	cache *ttlCache[[2]string, *store.User]
}

// NewUsers caches st, timed by clock.
func NewUsers(st store.Users, clock func() time.Time) *Users {
	return &Users{st: st, cache: newTTLCache[[2]string, *store.User](clock)}
}

// Get returns the tenant's user.
func (c *Users) Get(ctx context.Context, tenantID, userID string) (*store.User, error) {
	return c.cache.get(ctx, [2]string{tenantID, userID}, func(ctx context.Context) (*store.User, error) {
		return c.st.UserByID(ctx, tenantID, userID)
	})
}
