// Package account is Gatehouse's own self-service app,
// /t/{tenant}/account/...: the account page and sign-out, connected
// accounts (list, connect, disconnect), the security page (second factors,
// enrolment, backup codes, passkey registration and its JSON endpoints),
// "Where you're signed in", the devices page and the password change.
//
// It owns THE sensitive-action guard (sensitive.go): every route that adds,
// reveals or removes a way in is mounted as h.sensitive(...) in Mount, in
// one table, and needs a fresh local second factor and sends the user one
// email. HoldMail is the mailer's Hold; Connected is how the sign-in side
// tells the user that a connect it finished succeeded.
//
// The pages sign in through the same login transaction as any relying
// party: an internal auth request (tenant.AccountClientID) bound to the
// browser by session.Service.CreateAuthRequest.
//
// Tier 3 (docs/architecture.md): it imports tier 0–2 packages only, never
// package idp nor its tier-3 siblings idp/op, idp/login and idp/admin. What
// it needs from them (the signed-out page, the upstream redirect of a
// connect) is a function field on Handler that the root wires. The device
// centre and the password rules are idp/manage's (tier 2), used directly.
package account
