// Package mfa is the parent of Gatehouse's second-factor libraries:
//
//   - totp: authenticator-app codes (RFC 6238) with replay protection by time step;
//   - otp: one-time codes sent by email or SMS, their hashing and sending policy;
//   - backupcodes: single-use recovery codes, their hashing and the downloadable text;
//   - webauthn: passkeys and security keys (go-webauthn) as second factor or passwordless.
//
// These packages are pure libraries. They own the cryptography and the decisions,
// never the storage: none of them imports github.com/gatehouse-idp/gatehouse/idp
// (or anything under it), opens a database or mounts an HTTP route. Where a
// single-use value must be consumed, they document the atomic UPDATE the store
// has to run and return the values it needs. Time and randomness are always
// passed in.
package mfa
