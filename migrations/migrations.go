package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed postgres/*.sql
var postgresFiles embed.FS

//go:embed sqlite/*.sql
var sqliteFiles embed.FS

// Dialect names a supported database.
type Dialect string

// The supported dialects.
const (
	DialectPostgres Dialect = "postgres"
	DialectSQLite   Dialect = "sqlite"
)

// Postgres returns the Postgres migrations (files at the root of the FS).
func Postgres() fs.FS { return sub(postgresFiles, "postgres") }

// SQLite returns the SQLite migrations (files at the root of the FS).
func SQLite() fs.FS { return sub(sqliteFiles, "sqlite") }

func sub(f embed.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		// fs.Sub only fails for an invalid path, and dir is a constant.
		panic("migrations: " + err.Error())
	}
	return s
}

// AdvisoryLockID is the Postgres advisory lock held while migrating: "GateH"
// in ASCII, so that other goose users of the same database do not wait for
// Gatehouse or the other way round.
const AdvisoryLockID int64 = 0x4761746548

// FS returns the migrations of dialect d.
func FS(d Dialect) (fs.FS, error) {
	switch d {
	case DialectPostgres:
		return Postgres(), nil
	case DialectSQLite:
		return SQLite(), nil
	}
	return nil, fmt.Errorf("migrations: unknown dialect %q", d)
}

// NewProvider returns a goose provider for db and dialect d over the embedded
// files. It uses no goose global state and logs nothing. For Postgres it
// takes a session advisory lock while migrating, so replicas starting at the
// same time apply each migration once.
func NewProvider(db *sql.DB, d Dialect) (*goose.Provider, error) {
	fsys, err := FS(d)
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	}
	var gd goose.Dialect
	switch d {
	case DialectPostgres:
		gd = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(
			lock.WithLockID(AdvisoryLockID),
			// Poll every second (goose's default is 5s) for up to 5 minutes.
			lock.WithLockTimeout(1, 300),
		)
		if err != nil {
			return nil, fmt.Errorf("migrations: session locker: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	case DialectSQLite:
		// SQLite serialises writers itself; a session lock would need a
		// second connection, which the single-writer pool does not have.
		gd = goose.DialectSQLite3
	}
	p, err := goose.NewProvider(gd, db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Apply brings db up to the newest version and returns the versions it
// applied, in order (none when the schema was current).
func Apply(ctx context.Context, db *sql.DB, d Dialect) ([]int64, error) {
	p, err := NewProvider(db, d)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		var pe *goose.PartialError
		if errors.As(err, &pe) {
			return versions(pe.Applied), fmt.Errorf("migrations: version %d: %w", pe.Failed.Source.Version, pe.Err)
		}
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return versions(results), nil
}

func versions(results []*goose.MigrationResult) []int64 {
	v := make([]int64, 0, len(results))
	for _, r := range results {
		v = append(v, r.Source.Version)
	}
	return v
}
