// Package totp implements authenticator-app codes (RFC 6238) for Gatehouse:
// secret generation, the enrollment material (otpauth:// URL, QR code PNG,
// secret text for manual entry) and verification with replay protection.
//
// Parameters are fixed to what every authenticator app supports: HMAC-SHA1,
// 6 digits, 30-second steps, and a skew of one step either way.
//
// Replay protection is by time step. Verify returns the step a code matched and
// refuses any code whose step is not newer than the last accepted one. The
// caller stores that step with the factor and advances it atomically, so two
// replicas racing on the same code cannot both win:
//
//	UPDATE totp_factors SET last_step = $step WHERE id = $id AND last_step < $step
//
// and treats "0 rows affected" as ErrReplayed.
//
// The secret is the raw key (20 random bytes). Sealing it at rest is the
// store's job; this package never logs it and never puts it in an error.
//
// This package must not import github.com/gatehouse-idp/gatehouse/idp or any
// package under it, nor open a database or mount HTTP routes.
package totp
