package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
	"github.com/gatehouse-idp/gatehouse/federation/oidc"
)

// The acceptance test for the cooldown: after a good login, 100 forged
// tokens with random kids cost at most one extra JWKS fetch, and a real
// key rotation is still picked up once the cooldown has passed.
func TestJWKSCooldownThroughExchange(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	p := fedtest.Generic(t, ann())
	conn := connect(t, p, setup{clock: clock.Now})

	if _, _, err := p.SignIn(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if got := p.JWKSFetches(); got != 1 {
		t.Fatalf("fetches after the first login = %d, want 1", got)
	}

	clock.Advance(oidc.DefaultRefetchCooldown + time.Second)
	p.SetFaults(fedtest.Faults{SignWithUnpublishedKey: true, RandomKeyID: true})
	for i := range 100 {
		if _, _, err := p.SignIn(ctx, conn); !errors.Is(err, federation.ErrTokenInvalid) {
			t.Fatalf("forged token %d: err = %v", i, err)
		}
	}
	if got := p.JWKSFetches(); got > 2 {
		t.Fatalf("100 unknown kids caused %d extra JWKS fetches, want at most 1", got-1)
	} else if got != 2 {
		t.Fatalf("an unknown kid after the cooldown must refetch once (key rotation); fetches = %d", got)
	}

	// The upstream rotates its key. Within the cooldown the new kid is
	// unknown (and costs no fetch); after it, one fetch picks it up.
	p.RotateKey(t, false)
	p.SetFaults(fedtest.Faults{})
	if _, _, err := p.SignIn(ctx, conn); !errors.Is(err, federation.ErrTokenInvalid) {
		t.Fatalf("new kid within the cooldown: err = %v", err)
	}
	if got := p.JWKSFetches(); got != 2 {
		t.Fatalf("fetches = %d, want still 2", got)
	}
	clock.Advance(oidc.DefaultRefetchCooldown)
	if _, _, err := p.SignIn(ctx, conn); err != nil {
		t.Fatalf("rotated key after the cooldown: %v", err)
	}
	if got := p.JWKSFetches(); got != 3 {
		t.Fatalf("fetches = %d, want 3", got)
	}
}

type forger struct {
	key *ecdsa.PrivateKey
}

func newForger(t *testing.T) *forger {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &forger{key: k}
}

func (f *forger) token(t *testing.T, kid string) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: f.key, KeyID: kid}}, nil)
	if err != nil {
		t.Error(err)
		return ""
	}
	payload, _ := json.Marshal(map[string]any{"iss": "x", "sub": "y"})
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Error(err)
		return ""
	}
	s, _ := jws.CompactSerialize()
	return s
}

func keySetFor(p *fedtest.Provider, clock *fakeClock, opts oidc.KeySetOptions) *oidc.KeySet {
	return oidc.NewKeySet(p.URL+"/jwks", fedtest.HTTPClient(5*time.Second), clock.Now, opts)
}

func TestKeySetConcurrentUnknownKidsShareOneFetch(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	p := fedtest.Generic(t, ann())
	ks := keySetFor(p, clock, oidc.KeySetOptions{})
	good, err := p.SignJWT(map[string]any{"sub": "ann"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.VerifySignature(ctx, good); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	clock.Advance(time.Minute)

	f := newForger(t)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		tok := f.token(t, fmt.Sprintf("random-kid-%d", i))
		wg.Go(func() {
			if _, err := ks.VerifySignature(ctx, tok); err == nil {
				errs <- errors.New("forged token verified")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := p.JWKSFetches(); got != 2 {
		t.Fatalf("JWKS fetches = %d, want 2 (the first + at most one for 100 concurrent unknown kids)", got)
	}
	if _, err := ks.VerifySignature(ctx, good); err != nil {
		t.Fatalf("valid token after the storm: %v", err)
	}
}

func TestKeySetKnownKidWithBadSignatureNeverRefetches(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	p := fedtest.Generic(t, ann())
	ks := keySetFor(p, clock, oidc.KeySetOptions{})
	good, _ := p.SignJWT(map[string]any{"sub": "ann"})
	if _, err := ks.VerifySignature(ctx, good); err != nil {
		t.Fatal(err)
	}
	// Same kid as the published key, another key's signature.
	var hdr struct {
		Kid string `json:"kid"`
	}
	jws, err := jose.ParseSignedCompact(good, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	hdr.Kid = jws.Signatures[0].Header.KeyID
	forged := newForger(t).token(t, hdr.Kid)
	for range 10 {
		clock.Advance(time.Hour)
		if _, err := ks.VerifySignature(ctx, forged); err == nil {
			t.Fatal("forged token verified")
		}
	}
	if got := p.JWKSFetches(); got != 1 {
		t.Fatalf("fetches = %d, want 1", got)
	}
}

func TestKeySetRefreshesKeysOlderThanMaxAge(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	p := fedtest.Generic(t, ann())
	ks := keySetFor(p, clock, oidc.KeySetOptions{MaxAge: time.Hour})
	good, _ := p.SignJWT(map[string]any{"sub": "ann"})
	for range 3 {
		if _, err := ks.VerifySignature(ctx, good); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.JWKSFetches(); got != 1 {
		t.Fatalf("fetches = %d, want 1 (cached)", got)
	}
	// The upstream withdraws the key; once the cache is older than MaxAge
	// the withdrawn key stops verifying.
	p.RotateKey(t, false)
	clock.Advance(time.Hour + time.Second)
	if _, err := ks.VerifySignature(ctx, good); err == nil {
		t.Fatal("withdrawn key still verifies after MaxAge")
	}
	if got := p.JWKSFetches(); got != 2 {
		t.Fatalf("fetches = %d, want 2", got)
	}
}

func TestKeySetFailedFetchIsCooledDownToo(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	p := fedtest.Generic(t, ann())
	ks := keySetFor(p, clock, oidc.KeySetOptions{})
	good, _ := p.SignJWT(map[string]any{"sub": "ann"})

	p.SetFaults(fedtest.Faults{JWKSStatus: http.StatusBadGateway})
	for range 20 {
		if _, err := ks.VerifySignature(ctx, good); !errors.Is(err, federation.ErrUpstreamUnavailable) {
			t.Fatalf("err = %v, want ErrUpstreamUnavailable", err)
		}
	}
	if got := p.JWKSFetches(); got != 1 {
		t.Fatalf("a failing JWKS was fetched %d times within the cooldown", got)
	}
	p.SetFaults(fedtest.Faults{})
	clock.Advance(oidc.DefaultRefetchCooldown)
	if _, err := ks.VerifySignature(ctx, good); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestKeySetFetchSurvivesACancelledCaller(t *testing.T) {
	clock := newFakeClock()
	p := fedtest.Generic(t, ann())
	ks := keySetFor(p, clock, oidc.KeySetOptions{})
	good, _ := p.SignJWT(map[string]any{"sub": "ann"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ks.VerifySignature(ctx, good); err != nil {
		t.Fatalf("a cancelled caller must not fail the shared fetch: %v", err)
	}
	if _, err := ks.VerifySignature(context.Background(), good); err != nil || p.JWKSFetches() != 1 {
		t.Fatalf("err %v, fetches %d", err, p.JWKSFetches())
	}
}
