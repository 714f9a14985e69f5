// Package op is Gatehouse's OpenID provider: every tenant is its own issuer
// ({public_url}/t/{slug}) served by a zitadel/oidc op.Provider built on
// first use and kept for the process (provider.go). The op.Storage adapter
// (opstorage.go, opmodels.go) is the only place zitadel types meet store
// types: authorization requests and codes (a reused code revokes what it
// produced), access and refresh tokens (rotation, reuse detection), the ID
// token's claims, signing keys and client authentication.
//
// Gatehouse answers a few endpoints in front of zitadel (endpoints.go):
// /authorize checks the client and the redirect URI byte for byte before
// anything can redirect; introspection and userinfo verify the token with
// the tenant's keys (tokencache.go remembers verified tokens, never their
// revocation) and ask the database whether it is still active in one
// query. Revocation (revoke.go) and RP-initiated logout (logout.go, the
// confirmation form and the "Signed out" page) are Gatehouse's own. Every
// OAuth endpoint reads its parameters through one parser first
// (oauthparams.go, Handler.oauthParams in Mount), and the API allowlist
// (ipallow.go, gateAPI) decides on those parsed values.
//
// Handler.Mount mounts these routes. Two methods serve the other handler
// packages through the root: LoginRequired (the sign-in transaction's
// answer to prompt=none without a usable session) and LoggedOut (the page
// the account pages' sign-out shows).
//
// op is tier 3 of the package map (docs/architecture.md). It may import the
// libraries (idp/store types, idp/seal), tier 1 (idp/web, idp/tenant,
// idp/audit, idp/keys) and tier 2 (idp/session: ending sessions and the
// browser binding of authorization requests, CreateAuthRequest and
// BoundToBrowser). It must not import package idp or another handler
// package (idp/login, idp/account, idp/admin); what it needs from them
// would be a function field the root wires. Its store is the narrow Store
// interface, which store.Store satisfies.
package op
