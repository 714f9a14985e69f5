package op

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// verifiedTokens remembers access tokens whose signature and claims this
// process already verified, keyed by SHA-256 of the exact token bytes, until
// the token's own expiry. Resource servers introspect the same token on
// every API call; an ES256 verification costs ~65µs of CPU, a hash ~1µs.
// A hit means "these exact bytes were verified before" — nothing is trusted
// that was not checked. Revocation is NOT cached: callers still ask the
// database whether the token, its family or its session is gone.
type verifiedTokens struct {
	mu    sync.Mutex
	m     map[[32]byte]*oidc.AccessTokenClaims
	max   int
	clock func() time.Time
}

func newVerifiedTokens(max int, clock func() time.Time) *verifiedTokens {
	return &verifiedTokens{m: make(map[[32]byte]*oidc.AccessTokenClaims), max: max, clock: clock}
}

// verify returns the claims of a valid access token of the tenant.
func (c *verifiedTokens) verify(ctx context.Context, p *tenantProvider, token string) (*oidc.AccessTokenClaims, error) {
	key := sha256.Sum256([]byte(token))
	now := c.clock()
	c.mu.Lock()
	claims, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Before(claims.Expiration.AsTime()) {
		return claims, nil
	}
	claims, err := op.VerifyAccessToken[*oidc.AccessTokenClaims](ctx, token, p.op.AccessTokenVerifier(ctx))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		c.evict(now)
	}
	c.m[key] = claims
	c.mu.Unlock()
	return claims, nil
}

// evict drops expired entries, or everything when none expired (the map
// is a bounded cache, not a record; a miss only costs a verification).
func (c *verifiedTokens) evict(now time.Time) {
	for k, v := range c.m {
		if !now.Before(v.Expiration.AsTime()) {
			delete(c.m, k)
		}
	}
	if len(c.m) >= c.max {
		clear(c.m)
	}
}
