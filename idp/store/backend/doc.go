// Package backend turns Gatehouse's database setting into a migrated
// store.Store: a postgres:// or postgresql:// URL opens the Postgres backend,
// anything else is a SQLite file path (or ":memory:"). It is what `gatehouse
// serve` calls at start-up and what `gatehouse migrate` runs.
//
// This package imports the store backends and migrations only; it must not
// import idp or anything above it.
package backend
