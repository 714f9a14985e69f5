package backend

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/postgres"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite"
)

// Options tune whichever backend the URL selects.
type Options struct {
	Postgres postgres.Options
	SQLite   sqlite.Options
}

// Kind names a backend.
type Kind string

const (
	Postgres Kind = "postgres"
	SQLite   Kind = "sqlite"
)

// KindOf reports which backend databaseURL selects. A URL with any other
// scheme ("mysql://...") is an error rather than a strange file name.
func KindOf(databaseURL string) (Kind, error) {
	switch {
	case databaseURL == "":
		return "", errors.New("backend: empty database URL")
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return Postgres, nil
	case strings.Contains(databaseURL, "://"):
		scheme, _, _ := strings.Cut(databaseURL, "://")
		return "", fmt.Errorf("backend: unsupported database URL scheme %q (want postgres:// or a SQLite file path)", scheme)
	}
	return SQLite, nil
}

// migrator is a backend store that can migrate itself.
type migrator interface {
	store.Store
	Migrate(ctx context.Context) ([]int64, error)
}

// Open opens the backend for databaseURL, applies pending migrations and
// returns the store. For SQLite it creates the file's directory (0700).
func Open(ctx context.Context, databaseURL string, opts Options) (store.Store, error) {
	s, err := open(ctx, databaseURL, opts)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("backend: migrate: %w", err)
	}
	return s, nil
}

// Migrate applies pending migrations to databaseURL and returns the versions
// it applied, in order (none when the schema was current).
func Migrate(ctx context.Context, databaseURL string) ([]int64, error) {
	s, err := open(ctx, databaseURL, Options{Postgres: postgres.Options{MaxConns: 2, MinConns: 1}, SQLite: sqlite.Options{ReadConns: 1}})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	applied, err := s.Migrate(ctx)
	if err != nil {
		return applied, fmt.Errorf("backend: migrate: %w", err)
	}
	return applied, nil
}

func open(ctx context.Context, databaseURL string, opts Options) (migrator, error) {
	kind, err := KindOf(databaseURL)
	if err != nil {
		return nil, err
	}
	if kind == Postgres {
		return postgres.Open(ctx, databaseURL, opts.Postgres)
	}
	if databaseURL != sqlite.Memory {
		if err := os.MkdirAll(filepath.Dir(databaseURL), 0o700); err != nil {
			return nil, fmt.Errorf("backend: database directory: %w", err)
		}
	}
	return sqlite.Open(ctx, databaseURL, opts.SQLite)
}
