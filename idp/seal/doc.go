// Package seal protects secrets at rest and hashes machine secrets.
//
// A Sealer derives one AES-256-GCM key per purpose from the 32-byte master key
// (HKDF-SHA256 with the purpose as info), so a signing key sealed for one
// tenant cannot be opened as an upstream client secret of another: the
// purpose and an additional-data label (tenant id, key id) are bound into
// every ciphertext. Sealed values carry a version byte so the scheme can
// change without ambiguity.
//
// Machine secrets with high entropy (client secrets, tokens, codes) are
// hashed with SHA-256 (HashToken) and compared in constant time; a slow
// password KDF would add nothing but CPU cost for them.
//
// This package must not import any other idp package.
package seal
