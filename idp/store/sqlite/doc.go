// Package sqlite is the embedded store backend: modernc.org/sqlite (pure Go,
// no cgo) through database/sql. It is the zero-setup default, one file in the
// data directory, and the in-memory fake that other packages' tests use.
//
// Connections: every write goes through ONE connection (a *sql.DB with
// MaxOpenConns 1), so writers queue in Go instead of spinning on SQLITE_BUSY,
// and write transactions start with BEGIN IMMEDIATE (_txlock=immediate) so a
// read-then-write transaction never has to upgrade its lock. Reads use a
// separate pool of query_only connections; with journal_mode=WAL they never
// wait for the writer. Every connection sets busy_timeout (another process,
// such as `gatehouse migrate`, may hold the lock), foreign_keys=ON and, for
// files, synchronous=NORMAL. Single-use values are consumed by one
// conditional UPDATE ... RETURNING on the writer, so exactly one caller wins.
//
// ":memory:" opens a private in-memory database shared by the store's own
// connections (the memdb VFS under a random name): it lives until Close.
//
// Times are INTEGER unix microseconds, returned in UTC; string lists and
// documents are JSON text. The schema lives in migrations/sqlite.
//
// This package implements store.Store and must not import idp or any other
// backend.
package sqlite
