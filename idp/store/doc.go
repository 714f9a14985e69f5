// Package store holds Gatehouse's domain types and one small interface per
// aggregate (Tenants, Users, Clients, AuthRequests, Sessions, Tokens, Keys,
// ActionTokens, AuditEvents). Consumers ask for the narrowest interface they use;
// the backends in store/postgres and store/sqlite implement all of them and
// prove it with the conformance suite in store/storetest.
//
// Rules every backend follows:
//   - every method except the tenant lookups takes the tenant id, and a row of
//     tenant A is never found, changed or deleted through tenant B;
//   - a missing row is ErrNotFound, a uniqueness clash is ErrConflict, a
//     single-use value presented twice is ErrAlreadyUsed (all tested with errors.Is);
//   - single-use values (authorization codes, refresh tokens, action tokens) are
//     consumed with one conditional UPDATE, so concurrent callers — in one process
//     or across replicas — get exactly one winner;
//   - secrets never arrive in clear: client secrets, codes and tokens are stored as
//     SHA-256 hashes computed by the caller, signing keys sealed by the caller.
//
// This package must not import zitadel/oidc, net/http or any other idp package.
package store
