package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/migrations"
)

// Pool defaults.
//
// DefaultMaxConns is 16 per replica: the store's statements are short (a
// fraction of a millisecond on the server), so 16 connections carry tens of
// thousands of statements per second, while a few replicas together stay well
// inside Postgres' default max_connections of 100. Postgres itself does best
// with active connections near a small multiple of its cores; more
// connections per replica would only queue inside the server.
//
// DefaultMinConns keeps 2 connections open so the first requests after a
// quiet spell do not pay for TCP, TLS and authentication.
const (
	DefaultMaxConns = 16
	DefaultMinConns = 2
)

// Options size the pool. Zero values take the defaults, or the pool_max_conns
// / pool_min_conns parameters of the URL when it has them.
type Options struct {
	MaxConns int32
	MinConns int32
}

// Store is the Postgres store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to url (postgres://...) and checks the connection. It does
// not migrate; call Migrate.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgconn redacts the password in its parse errors.
		return nil, fmt.Errorf("postgres: %w", err)
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(url, "pool_max_conns"):
		cfg.MaxConns = DefaultMaxConns
	}
	switch {
	case opts.MinConns > 0:
		cfg.MinConns = opts.MinConns
	case !strings.Contains(url, "pool_min_conns"):
		cfg.MinConns = DefaultMinConns
	}
	cfg.MinConns = min(cfg.MinConns, cfg.MaxConns)
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		// Scan timestamptz in UTC whatever the server's or process' zone.
		c.TypeMap().RegisterType(&pgtype.Type{
			Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
		})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Pool exposes the pool's configuration and statistics (metrics, tests).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Migrate applies pending migrations under a session advisory lock and
// returns the versions it applied.
func (s *Store) Migrate(ctx context.Context) ([]int64, error) {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	return migrations.Apply(ctx, db, migrations.DialectPostgres)
}

// Ping checks the database connection.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// write runs fn in a READ COMMITTED transaction and commits when fn returns nil.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// mapErr turns driver errors into the store's sentinels: a unique violation
// is ErrConflict, a foreign-key violation (unknown tenant or user) or no row
// is ErrNotFound. op names the method; messages carry no values.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("postgres: %s: %w (%s)", op, store.ErrConflict, pe.ConstraintName)
		case "23503": // foreign_key_violation
			return fmt.Errorf("postgres: %s: %w (no such tenant or user)", op, store.ErrNotFound)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// mustAffect returns ErrNotFound when tag changed no row.
func mustAffect(tag pgconn.CommandTag) error {
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// querier is the pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// exists reports whether query (a SELECT 1 ...) finds a row.
func exists(ctx context.Context, q querier, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// collect scans every row with scan and closes rows.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (*T, error)) ([]*T, error) {
	defer rows.Close()
	var list []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// Column codecs: empty lists are stored as '{}' (the columns are NOT NULL)
// and come back nil, as do empty byte slices; a zero time.Time is NULL in a
// nullable column.

func list(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func unlist(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}

func bytesOrNull(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func timeOrNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
