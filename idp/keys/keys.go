package keys

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Key cache timing. Parsed keys are served from memory (zitadel asks for the
// signing key and key set on every token); a replica notices a rotation made
// elsewhere within keyCacheTTL, and at once when it meets an unknown kid
// (at most once per keyMissCooldown, so forged kids cannot hammer the database).
const (
	keyCacheTTL     = 30 * time.Second
	keyMissCooldown = 2 * time.Second
)

// signingKey implements op.SigningKey.
type signingKey struct {
	id  string
	key *ecdsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey implements op.Key.
type publicKey struct {
	jwk jose.JSONWebKey
}

func (k *publicKey) ID() string { return k.jwk.KeyID }
func (k *publicKey) Algorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.jwk.Algorithm)
}
func (k *publicKey) Use() string { return "sig" }
func (k *publicKey) Key() any    { return k.jwk.Key }

type tenantKeys struct {
	loadedAt time.Time
	signer   *signingKey
	public   []op.Key
	byID     map[string]*publicKey
	lastMiss time.Time
}

// Manager loads, caches, creates and rotates tenant signing keys.
type Manager struct {
	keys   store.Keys
	sealer *seal.Sealer
	clock  func() time.Time
	// maxTokenLifetime is how long a retired key stays in the JWKS.
	maxTokenLifetime time.Duration

	mu    sync.Mutex
	cache map[string]*tenantKeys
}

// New returns a Manager. Retired keys stay published for maxTokenLifetime
// so tokens they signed still verify.
func New(keys store.Keys, sealer *seal.Sealer, clock func() time.Time, maxTokenLifetime time.Duration) *Manager {
	return &Manager{keys: keys, sealer: sealer, clock: clock, maxTokenLifetime: maxTokenLifetime, cache: map[string]*tenantKeys{}}
}

func keyLabel(tenantID, kid string) string { return tenantID + "/" + kid }

// get returns the cached keys of a tenant, loading them when stale or when
// force is set, and creating the first key when the tenant has none.
func (m *Manager) get(ctx context.Context, tenantID string, force bool) (*tenantKeys, error) {
	now := m.clock()
	m.mu.Lock()
	tk := m.cache[tenantID]
	m.mu.Unlock()
	if tk != nil && !force && now.Sub(tk.loadedAt) < keyCacheTTL {
		return tk, nil
	}
	tk, err := m.load(ctx, tenantID, now)
	if err != nil {
		return nil, err
	}
	if tk.signer == nil {
		if _, err := m.create(ctx, tenantID, now); err != nil {
			return nil, err
		}
		if tk, err = m.load(ctx, tenantID, now); err != nil {
			return nil, err
		}
		if tk.signer == nil {
			return nil, errors.New("keys: no active signing key after creating one")
		}
	}
	m.mu.Lock()
	m.cache[tenantID] = tk
	m.mu.Unlock()
	return tk, nil
}

func (m *Manager) load(ctx context.Context, tenantID string, now time.Time) (*tenantKeys, error) {
	rows, err := m.keys.ListSigningKeys(ctx, tenantID, now)
	if err != nil {
		return nil, fmt.Errorf("keys: list signing keys: %w", err)
	}
	tk := &tenantKeys{loadedAt: now, byID: map[string]*publicKey{}}
	for _, row := range rows { // newest first
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(row.PublicJWK, &jwk); err != nil {
			return nil, fmt.Errorf("keys: signing key %s: public JWK: %w", row.ID, err)
		}
		pk := &publicKey{jwk: jwk}
		tk.public = append(tk.public, pk)
		tk.byID[row.ID] = pk
		if tk.signer == nil && row.RetiredAt == nil {
			der, err := m.sealer.Open(seal.PurposeSigningKey, keyLabel(tenantID, row.ID), row.Sealed)
			if err != nil {
				return nil, fmt.Errorf("keys: signing key %s: %w (was the master key changed?)", row.ID, err)
			}
			priv, err := x509.ParsePKCS8PrivateKey(der)
			if err != nil {
				return nil, fmt.Errorf("keys: signing key %s: %w", row.ID, err)
			}
			ec, ok := priv.(*ecdsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("keys: signing key %s is not ECDSA", row.ID)
			}
			tk.signer = &signingKey{id: row.ID, key: ec}
		}
	}
	return tk, nil
}

// create makes and stores a new ES256 key for the tenant.
func (m *Manager) create(ctx context.Context, tenantID string, now time.Time) (string, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", err
	}
	kid := store.NewID()
	sealed, err := m.sealer.Seal(seal.PurposeSigningKey, keyLabel(tenantID, kid), der)
	if err != nil {
		return "", err
	}
	pub, err := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"})
	if err != nil {
		return "", err
	}
	err = m.keys.CreateSigningKey(ctx, &store.SigningKey{
		ID: kid, TenantID: tenantID, Algorithm: string(jose.ES256), Sealed: sealed, PublicJWK: pub, CreatedAt: now,
	})
	if err != nil {
		return "", fmt.Errorf("keys: store signing key: %w", err)
	}
	return kid, nil
}

// Rotate creates a new signing key and retires the others; retired keys stay
// in the JWKS until every token they signed has expired.
func (m *Manager) Rotate(ctx context.Context, tenantID string) (string, error) {
	now := m.clock()
	kid, err := m.create(ctx, tenantID, now)
	if err != nil {
		return "", err
	}
	if err := m.keys.RetireSigningKeys(ctx, tenantID, kid, now, now.Add(m.maxTokenLifetime)); err != nil {
		return "", fmt.Errorf("keys: retire signing keys: %w", err)
	}
	m.mu.Lock()
	delete(m.cache, tenantID)
	m.mu.Unlock()
	return kid, nil
}

// SigningKey returns the tenant's active signing key.
func (m *Manager) SigningKey(ctx context.Context, tenantID string) (op.SigningKey, error) {
	tk, err := m.get(ctx, tenantID, false)
	if err != nil {
		return nil, err
	}
	return tk.signer, nil
}

// KeySet returns the tenant's published public keys.
func (m *Manager) KeySet(ctx context.Context, tenantID string) ([]op.Key, error) {
	tk, err := m.get(ctx, tenantID, false)
	if err != nil {
		return nil, err
	}
	return tk.public, nil
}

// lookup finds a public key by kid, reloading once (rate-limited) on a miss.
func (m *Manager) lookup(ctx context.Context, tenantID, kid string) (*publicKey, error) {
	tk, err := m.get(ctx, tenantID, false)
	if err != nil {
		return nil, err
	}
	if k, ok := tk.byID[kid]; ok {
		return k, nil
	}
	now := m.clock()
	m.mu.Lock()
	allowed := now.Sub(tk.lastMiss) >= keyMissCooldown
	if allowed {
		tk.lastMiss = now
	}
	m.mu.Unlock()
	if !allowed {
		return nil, ErrUnknownKey
	}
	tk, err = m.get(ctx, tenantID, true)
	if err != nil {
		return nil, err
	}
	tk.lastMiss = now
	if k, ok := tk.byID[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// ErrUnknownKey: no published key of the tenant has the token's kid.
var ErrUnknownKey = errors.New("keys: unknown signing key")

// Verifier returns the oidc.KeySet that verifies tokens tenantID issued.
func (m *Manager) Verifier(tenantID string) oidc.KeySet {
	return &tenantKeySet{m: m, tenantID: tenantID}
}

// tenantKeySet implements oidc.KeySet for verifying tokens this tenant issued
// (access tokens, id_token_hint).
type tenantKeySet struct {
	m        *Manager
	tenantID string
}

var _ oidc.KeySet = (*tenantKeySet)(nil)

func (s *tenantKeySet) VerifySignature(ctx context.Context, jws *jose.JSONWebSignature) ([]byte, error) {
	if len(jws.Signatures) != 1 {
		return nil, errors.New("keys: token must have exactly one signature")
	}
	h := jws.Signatures[0].Header
	if h.Algorithm != string(jose.ES256) {
		return nil, fmt.Errorf("keys: unexpected signing algorithm %q", h.Algorithm)
	}
	k, err := s.m.lookup(ctx, s.tenantID, h.KeyID)
	if err != nil {
		return nil, err
	}
	return jws.Verify(k.jwk.Key)
}
