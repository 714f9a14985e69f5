// Package password hashes and verifies user passwords with argon2id.
//
// Hashes are PHC strings ($argon2id$v=19$m=...,t=...,p=...$salt$hash) so the
// parameters travel with the hash and can be raised later (NeedsRehash).
// Argon2id is memory-hard on purpose, which makes it a denial-of-service lever:
// the Hasher admits at most MaxConcurrent computations at once and queues the
// rest (respecting the request context), so a burst of logins cannot exhaust
// memory. Only passwords belong here: high-entropy machine secrets (client
// secrets, tokens, codes) are hashed with SHA-256 elsewhere.
//
// This package must not import any other idp package.
package password
