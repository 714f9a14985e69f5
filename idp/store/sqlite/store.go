package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/migrations"
)

// Memory is the path that opens a private in-memory database.
const Memory = ":memory:"

// Options tune the connection pools. Zero values take the defaults.
type Options struct {
	// ReadConns bounds the read pool. Default max(4, GOMAXPROCS): SQLite
	// reads are CPU-bound in this process, more readers than cores only queue.
	ReadConns int
	// BusyTimeout is how long a connection waits for a lock held by another
	// process before failing with SQLITE_BUSY. Default 5s.
	BusyTimeout time.Duration
}

// Store is the SQLite store. It is safe for concurrent use.
type Store struct {
	w *sql.DB // the single writer connection
	r *sql.DB // read-only pool
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path, or a private
// in-memory database for ":memory:". It does not migrate; call Migrate.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.ReadConns <= 0 {
		opts.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	base, memory, err := baseDSN(path)
	if err != nil {
		return nil, err
	}
	common := url.Values{}
	common.Add("_pragma", "busy_timeout("+strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)+")")
	common.Add("_pragma", "foreign_keys(1)")
	if memory {
		common.Set("vfs", "memdb")
	}

	wq := cloneValues(common)
	wq.Set("_txlock", "immediate")
	if !memory {
		wq.Add("_pragma", "journal_mode(WAL)")
		wq.Add("_pragma", "synchronous(NORMAL)")
	}
	w, err := sql.Open("sqlite", base+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	// One writer, kept open for good: it serialises writes in Go and, for an
	// in-memory database, keeps the database alive.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}

	rq := cloneValues(common)
	rq.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", base+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	r.SetMaxOpenConns(opts.ReadConns)
	r.SetMaxIdleConns(opts.ReadConns)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	return &Store{w: w, r: r}, nil
}

// baseDSN turns path into the part of the DSN before the query.
func baseDSN(path string) (dsn string, memory bool, err error) {
	if path == "" {
		return "", false, errors.New("sqlite: empty database path")
	}
	if path == Memory {
		// memdb databases whose name starts with "/" are shared by every
		// connection of this process that opens the same name.
		return "file:/gatehouse-" + store.NewID(), true, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false, fmt.Errorf("sqlite: database path: %w", err)
	}
	u := url.URL{Path: filepath.ToSlash(abs)}
	return "file:" + u.EscapedPath(), false, nil
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// Migrate applies pending migrations and returns the versions it applied.
func (s *Store) Migrate(ctx context.Context) ([]int64, error) {
	return migrations.Apply(ctx, s.w, migrations.DialectSQLite)
}

// Ping checks that both pools can reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes both pools; an in-memory database is gone afterwards.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// write runs fn in a BEGIN IMMEDIATE transaction on the writer and commits
// when fn returns nil.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// mapErr turns driver errors into the store's sentinels: a unique or primary
// key clash is ErrConflict, a missing parent row (foreign key) or no row is
// ErrNotFound. op names the method for the message; no values are included.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("sqlite: %s: %w (%s)", op, store.ErrConflict, se.Error())
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("sqlite: %s: %w (no such tenant or user)", op, store.ErrNotFound)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// mustAffect returns ErrNotFound when res changed no row.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// exists reports whether query (a SELECT 1 ...) finds a row.
func exists(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
