// Package pgtest gives tests a private Postgres schema on the test server.
//
// The server is GATEHOUSE_TEST_POSTGRES_URL, by default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. A test that needs
// it FAILS when the server is unreachable (CI starts one), unless
// GATEHOUSE_SKIP_POSTGRES=1, which skips it. Only tests import this package.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the test server when GATEHOUSE_TEST_POSTGRES_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// URL returns the test server's URL, or skips t when GATEHOUSE_SKIP_POSTGRES=1.
func URL(t testing.TB) string {
	t.Helper()
	if os.Getenv("GATEHOUSE_SKIP_POSTGRES") == "1" {
		t.Skip("GATEHOUSE_SKIP_POSTGRES=1")
	}
	if u := os.Getenv("GATEHOUSE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Reachable fails t at once when the test server cannot be reached (or skips
// it, see URL), so a suite of subtests reports the problem once.
func Reachable(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, URL(t))
	if err != nil {
		t.Fatalf("postgres unreachable (set GATEHOUSE_SKIP_POSTGRES=1 to skip): %v", err)
	}
	conn.Close(ctx)
}

// FreshSchema creates an empty schema gh_<random>, drops it (CASCADE) when
// the test ends, and returns a URL whose connections use it as search_path.
func FreshSchema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("postgres unreachable (set GATEHOUSE_SKIP_POSTGRES=1 to skip): %v", err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "gh_" + hex.EncodeToString(b[:])
	// The name is generated here (hex), never input: safe to splice.
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close(ctx)
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close(ctx)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("test URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
