// Package fedtest runs real, in-process OpenID providers on httptest
// (127.0.0.1) for tests of federation and of the idp layer.
//
// A Provider serves discovery, JWKS, an authorization endpoint that
// auto-approves its configured User and redirects with a code, a token
// endpoint that checks the client secret (basic or post), the redirect URI,
// single use of the code and the PKCE S256 verifier, a userinfo endpoint,
// and RS256-signed ID tokens built with go-jose. Three flavours:
//
//   - Generic: issuer = server URL.
//   - GoogleLike: Google-shaped claims (hd, email_verified); records the hd
//     hint the client sent.
//   - EntraLike: discovery at {srv}/{tenant}/v2.0/.well-known/openid-configuration;
//     "organizations" and "common" advertise the literal issuer
//     "{srv}/{tenantid}/v2.0", a tenant GUID (or a domain added with
//     AddTenantDomain) advertises "{srv}/{guid}/v2.0"; tokens carry
//     iss "{srv}/{user's tid}/v2.0", tid, oid and xms_edov.
//
// Faults (SetFaults) break one thing at a time: authorize error=, a token
// signed with an unpublished key or an unknown kid, wrong audience,
// expired, nonce missing or wrong, another issuer, token endpoint 5xx /
// OAuth error / bad JSON / slow, no id_token, email only in userinfo, JWKS
// 5xx. Authorize plays the browser; SignIn runs a whole login.
//
// Test-only: it imports federation and net/http/httptest; never idp.
package fedtest
