// Package migrations owns Gatehouse's database schema: one directory of
// numbered goose SQL files per dialect (postgres/, sqlite/), embedded in the
// binary and applied by `gatehouse migrate` and at start-up.
//
// Both dialects carry the same versions, numbered from 1 without gaps
// (migrations_test.go checks it). A schema change is a new file in BOTH
// directories with the next number; a released file is never edited.
//
// Schema rules: one table per aggregate; every table except tenants leads its
// primary or unique keys with tenant_id and cascades deletes from tenants;
// every lookup the store interfaces make has an index. Postgres stores times
// as TIMESTAMPTZ and string lists as text[]; SQLite stores times as INTEGER
// unix microseconds (UTC) and string lists as JSON text. Settings, audit
// details and other documents are JSON (jsonb in Postgres).
//
// Goose runs without global state: Apply builds a goose.Provider over the
// embedded files for one *sql.DB. This package must not import idp or any
// store backend; the backends import it.
package migrations
