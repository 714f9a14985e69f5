package postgres_test

import (
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/postgres"
	"github.com/gatehouse-idp/gatehouse/idp/store/postgres/pgtest"
	"github.com/gatehouse-idp/gatehouse/idp/store/storetest"
)

func open(t *testing.T, opts postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), pgtest.FreshSchema(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(t.Context()); err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	pgtest.Reachable(t)
	storetest.RunTests(t, func(t *testing.T) store.Store {
		return open(t, postgres.Options{MaxConns: 8, MinConns: 1})
	})
}

func TestMigrateTwiceAppliesNothing(t *testing.T) {
	s := open(t, postgres.Options{})
	t.Cleanup(func() { s.Close() })
	applied, err := s.Migrate(t.Context())
	if err != nil || len(applied) != 0 {
		t.Fatalf("second Migrate = %v, %v; want nothing applied", applied, err)
	}
}

func TestPoolSizing(t *testing.T) {
	u := pgtest.FreshSchema(t)
	for _, tc := range []struct {
		name     string
		url      string
		opts     postgres.Options
		max, min int32
	}{
		{"defaults", u, postgres.Options{}, postgres.DefaultMaxConns, postgres.DefaultMinConns},
		{"options", u, postgres.Options{MaxConns: 5, MinConns: 1}, 5, 1},
		{"url", u + "&pool_max_conns=3&pool_min_conns=0", postgres.Options{}, 3, 0},
		{"options over url", u + "&pool_max_conns=3", postgres.Options{MaxConns: 6}, 6, postgres.DefaultMinConns},
		{"min capped by max", u, postgres.Options{MaxConns: 1}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := postgres.Open(t.Context(), tc.url, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			cfg := s.Pool().Config()
			if cfg.MaxConns != tc.max || cfg.MinConns != tc.min {
				t.Fatalf("MaxConns %d, MinConns %d; want %d, %d", cfg.MaxConns, cfg.MinConns, tc.max, tc.min)
			}
		})
	}
}

func TestOpenFailsFast(t *testing.T) {
	for _, u := range []string{
		"postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", // nothing listens on port 1
		"postgres://postgres:s3cret@127.0.0.1:5432/test?sslmode=bogus",
	} {
		s, err := postgres.Open(t.Context(), u, postgres.Options{})
		if err == nil {
			s.Close()
			t.Fatalf("Open(%s) succeeded", u)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("error reveals the password: %v", err)
		}
	}
}
