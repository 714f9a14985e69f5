// Package idp is the Gatehouse OpenID provider and the glue between its parts.
//
// Each tenant is its own issuer ({public_url}/t/{slug}). The OpenID
// provider — zitadel/oidc's per-tenant op.Provider, the op.Storage adapter
// (the only place zitadel types meet store types), /authorize's byte-exact
// redirect check, introspection, userinfo, revocation and end_session — is
// idp/op's; Handler mounts it (s.op.Mount).
//
// Login (idp/login, mounted by Handler) is a server-side transaction keyed
// by the authorization request: an auth request is completed only after the
// user authenticated, and zitadel's callback issues a code only for
// completed requests.
//
// Federation (idp/login's federation*.go, account_connections.go;
// connections are managed by idp/manage):
// "Sign in with Google / Office 365 / OIDC" runs the federation library's
// connectors inside that same transaction. The button's POST stores a
// single-use state in the database and a sealed, browser-bound cookie with
// state, nonce and PKCE verifier; the callback verifies, applies
// federation.DecideLink (linked, JIT, proof of the local account, or an
// explanation) and ends in finishPrimary with amr "fed". The connectors,
// the flow cookie and the amr rules are idp/upstream's.
//
// Access policies (ipallow.go, throttle.go, passwords.go, password_change.go,
// password_reset.go, mail.go): tenant IP allowlists for
// the sign-in pages and the machine endpoints, brute-force counters in the
// database checked before any password is hashed (the guard is
// idp/factors'), the tenant password policy wherever a password is set
// (with history, the expired-password step and reset by email link), and
// the security emails. The decisions
// themselves are idp/policy's; docs/policies.md describes every setting.
//
// Sessions (idp/session): the SSO cookie, starting, re-authenticating and
// ending sessions, OpenID Connect back-channel logout whenever a session
// ends, and the device cookie. The handlers here call s.sessions.
// Second factors (idp/login's mfa*.go, docs/mfa.md): finishPrimary asks secondFactorStep
// whether the tenant's mode, the device and location, the request's
// acr_values or a trusted upstream MFA claim require one. If so the pending
// primary result is kept in a login_states row bound to the auth request and
// the browser continues on /login/2fa (challenge, or enrollment then backup
// codes); only the request that moves that row to "done" creates the
// session. The factors themselves — policy, codes (each consumed by a
// conditional UPDATE: TOTP step, OTP challenge, backup code, WebAuthn
// counter), enrolment, backup codes, passkeys and the credential guard —
// are idp/factors' Service.
//
// The account pages (/t/{tenant}/account/...: security page, connected
// accounts, sessions, devices, password) and the sensitive-action guard are
// idp/account's Handler, wired in account_wiring.go; /dev/outbox is
// idp/web's.
//
// Tokens: access tokens are ES256 JWTs whose jti names the SSO session and
// refresh family they depend on; refresh tokens are opaque, stored as SHA-256,
// rotated on every use, and a reused one revokes its family. Signing keys are
// sealed with the master key and cached parsed in memory (keys.go).
package idp
