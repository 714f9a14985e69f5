// Package keys owns the tenants' token-signing keys: it creates ES256 keys,
// seals their private halves with the master key before they reach the
// store, caches the parsed keys per tenant (a rotation made on another
// replica is noticed within 30 s, at once on an unknown kid, at most every
// 2 s), rotates them keeping retired keys published while tokens they
// signed may live, and verifies the signatures of tokens a tenant issued.
//
// It is tier 1 of the package map (docs/architecture.md): it imports the
// store types, seal and zitadel/oidc's key interfaces, never package idp or
// a handler package.
package keys
