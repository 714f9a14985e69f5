package e2e

import (
	"context"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/postgres"
	"github.com/gatehouse-idp/gatehouse/idp/store/postgres/pgtest"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite"
)

// newSQLiteStore opens a migrated in-memory SQLite store.
func newSQLiteStore(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Memory, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newPostgresStore opens a migrated store in a fresh schema of the test
// server (GATEHOUSE_TEST_POSTGRES_URL or the local one), dropped afterwards.
func newPostgresStore(t testing.TB) store.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.FreshSchema(t), postgres.Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}
