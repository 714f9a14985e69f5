// Package tenant holds the short-lived per-process caches of tenants (by
// slug, on every request, and by id), clients (every token, introspection
// and authorize) and users (identity claims). They only delay how soon a
// change made elsewhere is seen — at most 5 s — and never decide anything
// that must be exact: revocations, single-use values and counters are read
// from the database.
//
// It is tier 1 of the package map (docs/architecture.md): it imports the
// store types only, never package idp or a handler package.
package tenant
