package oidc_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
	"github.com/gatehouse-idp/gatehouse/federation/oidc"
)

// fakeClock is a settable clock; connectors read it through Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func verified() *bool   { return new(true) }
func unverified() *bool { return new(false) }

func ann() fedtest.User {
	return fedtest.User{Subject: "ann-123", Email: "ann@example.com", EmailVerified: verified(), Name: "Ann Example"}
}

type setup struct {
	timeout time.Duration
	clock   federation.Clock
	mutate  func(*oidc.Config)
}

func connect(t *testing.T, p *fedtest.Provider, s setup) federation.Connector {
	t.Helper()
	if s.timeout == 0 {
		s.timeout = 5 * time.Second
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	cfg := oidc.Config{OAuthClient: p.Client("conn-oidc"), Issuer: p.Issuer}
	if s.mutate != nil {
		s.mutate(&cfg)
	}
	conn, err := federation.New(context.Background(), cfg, fedtest.HTTPClient(s.timeout), s.clock)
	if err != nil {
		t.Fatalf("federation.New: %v", err)
	}
	return conn
}

// assertClean checks that an error text repeats none of the login's
// secrets.
func assertClean(t *testing.T, err error, p *fedtest.Provider, l fedtest.Login) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	q, _ := fedtest.Callback(l.CallbackURL)
	for name, secret := range map[string]string{
		"client secret": p.ClientSecret, "code": q.Get("code"), "verifier": l.PKCE.Verifier, "nonce": l.Nonce,
	} {
		if secret != "" && strings.Contains(msg, secret) {
			t.Fatalf("error text contains the %s: %s", name, msg)
		}
	}
	if strings.Contains(msg, "eyJ") { // a JWT or its header
		t.Fatalf("error text contains a JWT: %s", msg)
	}
}
