// Package microsoft is the "Sign in with Office 365" (Microsoft Entra ID)
// connector, built on the generic oidc connector.
//
// Entra's multi-tenant discovery ({base}/organizations/v2.0/...) advertises
// the issuer "{base}/{tenantid}/v2.0" with a literal {tenantid}, which no
// exact issuer check can accept (Keycloak #28662). This connector
// therefore runs go-oidc's discovery and verifier with the issuer check
// skipped and checks the issuer itself: the token's iss must equal the
// template with {tenantid} replaced by the token's own tid (exact string
// compare), and tid must be the connection's tenant (single-tenant) or in
// AllowedTenantIDs (multi-tenant, where the allowlist is mandatory).
//
// The stable identity is tid + oid: Identity.Subject is "{tid}:{oid}" and
// Identity.Issuer the resolved "{base}/{tid}/v2.0". The mutable email,
// preferred_username and upn are never keys ("nOAuth").
//
// EmailVerified is true only when the token's email is vouched for:
//   - the optional claim xms_edov ("email domain owner verified") is true —
//     enable it under Token configuration in the app registration; or
//   - the email's domain is in AllowedDomains, which is the admin asserting
//     "addresses in these domains, coming from my allowed tenants, are
//     verified". It is only as good as that assertion: with several allowed
//     tenants, each one can issue any address in any listed domain, so list
//     only domains every allowed tenant legitimately owns.
//
// Entra's email_verified and the userinfo endpoint are not consulted.
// Imports federation and federation/oidc; never anything under idp.
package microsoft
