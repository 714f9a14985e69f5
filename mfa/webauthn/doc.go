// Package webauthn wraps github.com/go-webauthn/webauthn for Gatehouse:
// passkeys and security keys as a second factor (BeginLogin/FinishLogin for a
// known user) and as a passwordless primary factor
// (BeginDiscoverableLogin/FinishDiscoverableLogin, user verification
// required), plus registration.
//
// It owns Gatehouse's own Credential record (converted to and from
// go-webauthn's), the User it presents to the library (a random 32-byte user
// handle, never the email), and a JSON-serialisable Session holding the
// ceremony state, which the caller keeps server-side in the login transaction
// between Begin and Finish.
//
// What the caller (idp) must do around it:
//
//   - Keep the Session server-side and delete it when Finish is called,
//     whatever the outcome: a Session is single-use. Finish checks its
//     ceremony kind and expiry with the injected clock.
//   - Store credentials with a unique index on Credential.ID (an ID registered
//     twice, even by two users, is refused by the database).
//   - After FinishLogin, advance the counter atomically:
//     UPDATE ... SET sign_count = $new, backup_state = $bs, last_used_at = $now
//     WHERE id = $id AND (sign_count < $new OR $new = 0)
//     and treat "0 rows" as ErrClonedAuthenticator (a racing clone).
//   - In FinishDiscoverableLogin's lookup, find the user by handle within the
//     tenant of the login transaction only.
//
// A cloned authenticator (the asserted signature counter is not above the
// stored one while either is non-zero, the rule of WebAuthn §7.2 step 22
// that go-webauthn flags as CloneWarning) is refused with
// ErrClonedAuthenticator, not just warned about.
//
// This package must not import github.com/gatehouse-idp/gatehouse/idp or any
// package under it, nor open a database or mount HTTP routes: Finish takes
// the JSON body the browser posted, not an *http.Request.
package webauthn
