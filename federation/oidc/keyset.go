package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-idp/gatehouse/federation"
)

// Defaults for KeySet.
const (
	// DefaultRefetchCooldown is the least time between two JWKS fetches.
	DefaultRefetchCooldown = 30 * time.Second
	// DefaultKeysMaxAge is how long fetched keys are used before a refresh
	// (so a key the upstream withdrew stops verifying).
	DefaultKeysMaxAge = 24 * time.Hour

	maxJWKSBytes = 1 << 20
)

// signingAlgs are the asymmetric algorithms a KeySet will parse; the
// verifier narrows them to what discovery advertises.
var signingAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// KeySetOptions tune a KeySet; zero values take the defaults.
type KeySetOptions struct {
	RefetchCooldown time.Duration
	MaxAge          time.Duration
}

// KeySet is a go-oidc KeySet backed by a remote JWKS, with a cache and a
// refetch cooldown.
//
// go-oidc's RemoteKeySet refetches on every token whose kid it does not
// know, so a stream of forged tokens with random kids turns into a stream
// of requests to the upstream. KeySet refetches on an unknown kid (that is
// how key rotation is picked up) at most once per RefetchCooldown, failed
// fetches included; concurrent callers share one fetch. A kid that is known
// but whose signature does not verify never triggers a fetch.
type KeySet struct {
	url      string
	client   *http.Client
	now      federation.Clock
	cooldown time.Duration
	maxAge   time.Duration

	fetchMu sync.Mutex // one fetch at a time

	mu        sync.RWMutex
	keys      []jose.JSONWebKey
	fetchedAt time.Time // last successful fetch
	attemptAt time.Time // last fetch attempt
	lastErr   error     // error of the last attempt, nil if it succeeded
}

// NewKeySet returns a KeySet for jwksURL. Nothing is fetched until the
// first verification.
func NewKeySet(jwksURL string, client *http.Client, clock federation.Clock, opts KeySetOptions) *KeySet {
	if opts.RefetchCooldown <= 0 {
		opts.RefetchCooldown = DefaultRefetchCooldown
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultKeysMaxAge
	}
	return &KeySet{url: jwksURL, client: client, now: clock, cooldown: opts.RefetchCooldown, maxAge: opts.MaxAge}
}

var (
	errUnknownKey   = errors.New("no key in the upstream JWKS matches the token's kid")
	errBadSignature = errors.New("signature does not verify with the upstream key")
)

// VerifySignature implements go-oidc's KeySet: it returns the payload of a
// compact JWS signed by one of the upstream's keys.
func (k *KeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(jwt, signingAlgs)
	if err != nil {
		return nil, fmt.Errorf("malformed jwt: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("jwt must carry exactly one signature")
	}
	hdr := jws.Signatures[0].Header

	keys, stale := k.cached()
	refreshed := false
	var fetchErr error
	if stale {
		var fresh []jose.JSONWebKey
		fresh, fetchErr = k.refresh(ctx)
		refreshed = true
		if len(fresh) > 0 {
			keys = fresh
		}
	}
	payload, kidKnown := verifyWith(jws, hdr, keys)
	if payload == nil && !kidKnown && !refreshed {
		keys, fetchErr = k.refresh(ctx)
		payload, kidKnown = verifyWith(jws, hdr, keys)
	}
	switch {
	case payload != nil:
		markVerified(ctx, payload)
		return payload, nil
	case kidKnown:
		return nil, errBadSignature
	case fetchErr != nil:
		noteFetchError(ctx, fetchErr)
		return nil, fetchErr
	default:
		return nil, errUnknownKey
	}
}

// verifyWith tries the keys whose kid equals the header's (all keys when
// the token has no kid). kidKnown reports that a key with that kid exists.
func verifyWith(jws *jose.JSONWebSignature, hdr jose.Header, keys []jose.JSONWebKey) (payload []byte, kidKnown bool) {
	for i := range keys {
		key := &keys[i]
		if hdr.KeyID != "" && key.KeyID != hdr.KeyID {
			continue
		}
		if hdr.KeyID != "" {
			kidKnown = true
		}
		if key.Algorithm != "" && key.Algorithm != hdr.Algorithm {
			continue
		}
		if p, err := jws.Verify(key); err == nil {
			return p, kidKnown
		}
	}
	return nil, kidKnown
}

// cached returns the cached keys and whether they need a refresh (never
// fetched, or older than MaxAge).
func (k *KeySet) cached() ([]jose.JSONWebKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	stale := k.fetchedAt.IsZero() || k.now().Sub(k.fetchedAt) >= k.maxAge
	return k.keys, stale
}

// refresh fetches the JWKS unless a fetch was attempted within the
// cooldown. It returns the newest keys available (fetched now, or the
// cache) and the error of the attempt that produced them, if any.
func (k *KeySet) refresh(ctx context.Context) ([]jose.JSONWebKey, error) {
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()

	now := k.now()
	k.mu.RLock()
	since := now.Sub(k.attemptAt)
	cooling := !k.attemptAt.IsZero() && since >= 0 && since < k.cooldown
	keys, lastErr := k.keys, k.lastErr
	k.mu.RUnlock()
	if cooling {
		return keys, lastErr
	}

	fetched, err := k.fetch(ctx)

	k.mu.Lock()
	defer k.mu.Unlock()
	k.attemptAt = now
	k.lastErr = err
	if err != nil {
		return k.keys, err
	}
	k.keys, k.fetchedAt = fetched, now
	return fetched, nil
}

// fetch ignores the caller's cancellation (a browser that gave up must not
// leave a failed attempt that blocks refetches for a whole cooldown); the
// client's Timeout still bounds it.
func (k *KeySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, k.url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: JWKS request: %w", federation.ErrUpstreamUnavailable, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: fetching JWKS: %w", federation.ErrUpstreamUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: JWKS endpoint returned HTTP %d", federation.ErrUpstreamUnavailable, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes))
	if err != nil {
		return nil, fmt.Errorf("%w: reading JWKS: %w", federation.ErrUpstreamUnavailable, err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", federation.ErrUpstreamUnavailable, err)
	}
	return keys, nil
}

// parseJWKS keeps the public signing keys go-jose understands and skips the
// rest (RFC 7517 §5: ignore keys you do not understand).
func parseJWKS(body []byte) ([]jose.JSONWebKey, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, errors.New("JWKS is not a JSON key set")
	}
	var keys []jose.JSONWebKey
	for _, r := range raw.Keys {
		var key jose.JSONWebKey
		if err := json.Unmarshal(r, &key); err != nil || !key.Valid() {
			continue
		}
		if key.Use != "" && key.Use != "sig" {
			continue
		}
		pub := key.Public()
		if !pub.IsPublic() { // symmetric keys never verify an ID token here
			continue
		}
		keys = append(keys, pub)
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no usable signing keys")
	}
	return keys, nil
}

// verifyNote lets Exchange learn, through go-oidc (which flattens the
// KeySet's error with %v), whether verification failed because the JWKS
// could not be fetched, and whether the signature itself verified.
type verifyNote struct {
	fetchErr error
	payload  []byte // set when the signature verified
}

type verifyNoteKey struct{}

func withVerifyNote(ctx context.Context) (context.Context, *verifyNote) {
	n := &verifyNote{}
	return context.WithValue(ctx, verifyNoteKey{}, n), n
}

func noteFetchError(ctx context.Context, err error) {
	if n, ok := ctx.Value(verifyNoteKey{}).(*verifyNote); ok {
		n.fetchErr = err
	}
}

func markVerified(ctx context.Context, payload []byte) {
	if n, ok := ctx.Value(verifyNoteKey{}).(*verifyNote); ok {
		n.payload = payload
	}
}
