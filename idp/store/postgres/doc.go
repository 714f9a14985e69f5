// Package postgres is the production store backend: jackc/pgx/v5 with a
// pgxpool pool, shared by any number of stateless Gatehouse replicas.
//
// Hot paths (AccessTokenActive, ClientByID, UserByID, SessionByID,
// RotateRefreshToken) are one statement and one round trip; pgx's default
// QueryExecModeCacheStatement prepares each statement once per connection.
// Single-use values are consumed with one conditional UPDATE, so concurrent
// callers in any replica get exactly one winner. RotateRefreshToken's UPDATE
// takes a share lock on the session row, and EndSession locks that row before
// revoking in a later statement of its transaction, so a rotation racing a
// logout either finishes first (and its new token is revoked) or sees the
// session ended.
//
// Times are TIMESTAMPTZ (microseconds) scanned in UTC; string lists are
// text[]; documents jsonb. Unique violations (23505) are store.ErrConflict,
// foreign-key violations (23503) and missing rows store.ErrNotFound. The
// schema lives in migrations/postgres; Migrate applies it under a session
// advisory lock.
//
// This package implements store.Store and must not import idp or any other
// backend.
package postgres
