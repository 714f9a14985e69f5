// Package otp implements one-time codes sent by email or SMS: generating the
// six-digit code, hashing it for storage, the sending and attempt policy
// (Rules), phone number normalisation to E.164, and masking of destinations
// for display ("+49 ••• ••• 5678", "a•••e@example.com").
//
// Codes are stored only as Hash(key, code): an HMAC-SHA256 under a server-side
// key that is not kept in the database, so a database dump alone does not let
// anyone enumerate the 10^6 possible codes.
//
// Policy decisions are pure functions of values the caller loads from the
// store. The caller makes them exact across replicas with atomic updates:
//
//  1. Sending: load recent send times for the user and for the destination,
//     ask Rules.CanSend, then insert the challenge (hash, issued_at, attempts 0)
//     replacing any earlier challenge of the same login transaction.
//  2. Checking: load the challenge; bump the counter first,
//     "UPDATE ... SET attempts = attempts + 1 WHERE id = $1 AND attempts < $max
//     AND consumed_at IS NULL" (0 rows: too many attempts or already used),
//     then call Rules.Verify with the attempts counted before the bump; on
//     success consume it with "UPDATE ... SET consumed_at = $now WHERE id = $1
//     AND consumed_at IS NULL" and accept only if one row changed.
//
// This package must not import github.com/gatehouse-idp/gatehouse/idp or any
// package under it, nor open a database, send messages or mount HTTP routes.
// It never puts a code or a full phone number in an error string.
package otp
