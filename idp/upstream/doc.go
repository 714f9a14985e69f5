// Package upstream is the plumbing of sign-in with upstream identity
// providers ("Sign in with Google / Office 365 / OIDC"), below the pages
// that use it:
//
//   - connectors: a stored connection (its settings, its sealed client
//     secret, the callback URL of its tenant) opened as a federation
//     Connector, cached per connection version so the connector's JWKS
//     cache and refetch cooldown survive between sign-ins; the validation
//     of a whole connection, every problem at once;
//   - the federation flow: state, nonce and PKCE verifier of one round trip
//     (or the identity waiting for proof of the local account), carried by
//     the browser in a sealed cookie bound to the tenant and kind, and made
//     single-use by a state hash consumed once in the database;
//   - the rules that turn an upstream sign-in into Gatehouse's methods and
//     amr (what an upstream may contribute, when its MFA counts), the
//     linking policy of a connection, and the audit codes of refusals.
//
// The handlers (the sign-in, proof and connect pages) and the connection
// management (CLI, later the admin API) stay above it and call a Service.
//
// upstream is tier 2 of the package map (docs/architecture.md). It may
// import federation/..., the tier-0 libraries (idp/store types, idp/seal,
// idp/policy) and the tier-1 packages; never package idp, another tier-2
// package or a handler package.
package upstream
