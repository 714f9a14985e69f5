// Package backupcodes implements single-use recovery codes: generating a set,
// normalising what a user types, the stored (hashed) form and the .txt file
// the user downloads.
//
// A set is Count codes of Length symbols from a 32-symbol alphabet that leaves
// out the look-alikes 0/O, 1/I/L: 5 bits per symbol, 50 random bits per code.
// They are shown as "XXXXX-XXXXX"; input is accepted in any case, with or
// without spaces and hyphens, and anything outside the alphabet is refused
// (ErrMalformed) rather than guessed at.
//
// # Why HMAC with a pepper and not a password hash
//
// A slow password KDF (argon2id, bcrypt) exists to make guessing expensive
// when the guessed value has little entropy, as passwords do. A backup code
// has 50 bits from a CSPRNG; the protection that matters is against someone
// who obtains the database. Codes are therefore stored as
// HMAC-SHA256(pepper, normalised code), where the pepper is a server-side
// secret (at least 32 random bytes) kept outside the database, with the
// master key material. A database leak alone gives hashes under an unknown
// 256-bit key: nothing to brute-force. With the pepper as well, 2^50 HMACs
// per code is still far from cheap, and the codes are rotated on use.
//
// A deterministic keyed hash also makes redemption one indexed lookup that
// the store performs atomically, so two replicas racing on the same code
// cannot both win:
//
//	UPDATE backup_codes SET used_at = $now
//	 WHERE tenant_id = $t AND user_id = $u AND code_hash = $h AND used_at IS NULL
//
// and the code is accepted only if exactly one row changed. A salted, slow
// KDF would instead force comparing the input against every unused code of
// the user (ten argon2id runs per attempt, an easy CPU denial of service) and
// a read-then-write consumption that needs its own locking.
//
// Note: ARCHITECTURE.md lists backup codes under "argon2id hashes"; this
// package deliberately uses the keyed hash above for the reasons given.
//
// This package must not import github.com/gatehouse-idp/gatehouse/idp or any
// package under it, nor open a database or mount HTTP routes. It never puts a
// code in an error string.
package backupcodes
