package backend_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/backend"
	"github.com/gatehouse-idp/gatehouse/idp/store/postgres/pgtest"
	"github.com/gatehouse-idp/gatehouse/migrations"
)

// allVersions lists the embedded migration versions of d (1..n: the
// migrations package tests that there are no gaps).
func allVersions(t *testing.T, d migrations.Dialect) []int64 {
	t.Helper()
	fsys, err := migrations.FS(d)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s migrations: %v", d, err)
	}
	var v []int64
	for i := range files {
		v = append(v, int64(i+1))
	}
	return v
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want backend.Kind
		err  bool
	}{
		{"postgres://u@h/db", backend.Postgres, false},
		{"postgresql://u@h/db?sslmode=require", backend.Postgres, false},
		{"/var/lib/gatehouse/gatehouse.db", backend.SQLite, false},
		{"data/gatehouse.db", backend.SQLite, false},
		{":memory:", backend.SQLite, false},
		{"mysql://u@h/db", "", true},
		{"", "", true},
	} {
		got, err := backend.KindOf(tc.url)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("KindOf(%q) = %q, %v; want %q, error %v", tc.url, got, err, tc.want, tc.err)
		}
	}
}

// usable proves s is migrated: a tenant round-trips.
func usable(t *testing.T, s store.Store) {
	t.Helper()
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	tn := &store.Tenant{Slug: "acme", Name: "Acme", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateTenant(t.Context(), tn); err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	if _, err := s.TenantBySlug(t.Context(), "acme"); err != nil {
		t.Fatalf("TenantBySlug: %v", err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func TestSQLiteFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	path := filepath.Join(dir, "gatehouse.db")

	applied, err := backend.Migrate(t.Context(), path)
	if want := allVersions(t, migrations.DialectSQLite); err != nil || !slices.Equal(applied, want) {
		t.Fatalf("Migrate(new file) = %v, %v; want %v", applied, err, want)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Fatalf("database directory mode %o, want 700", perm)
	}
	applied, err = backend.Migrate(t.Context(), path)
	if err != nil || len(applied) != 0 {
		t.Fatalf("Migrate(again) = %v, %v; want nothing applied", applied, err)
	}

	s, err := backend.Open(t.Context(), path, backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	usable(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The data is on disk: a second Open sees it.
	s, err = backend.Open(t.Context(), path, backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.TenantBySlug(t.Context(), "acme"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

func TestSQLiteMemory(t *testing.T) {
	s, err := backend.Open(t.Context(), ":memory:", backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	usable(t, s)
	// Every Open is its own database.
	s2, err := backend.Open(t.Context(), ":memory:", backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.TenantBySlug(t.Context(), "acme"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second in-memory store sees the first: %v", err)
	}
}

func TestPostgres(t *testing.T) {
	url := pgtest.FreshSchema(t)
	applied, err := backend.Migrate(t.Context(), url)
	if want := allVersions(t, migrations.DialectPostgres); err != nil || !slices.Equal(applied, want) {
		t.Fatalf("Migrate = %v, %v; want %v", applied, err, want)
	}
	s, err := backend.Open(t.Context(), url, backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	usable(t, s)
}

func TestOpenErrors(t *testing.T) {
	if _, err := backend.Open(t.Context(), "mysql://u@h/db", backend.Options{}); err == nil {
		t.Fatal("Open(mysql://) succeeded")
	}
	// A file where the directory should be.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := backend.Open(t.Context(), filepath.Join(file, "gatehouse.db"), backend.Options{}); err == nil {
		t.Fatal("Open under a file succeeded")
	}
}
