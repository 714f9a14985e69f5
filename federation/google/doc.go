// Package google is the "Sign in with Google" connector, built on the
// generic oidc connector.
//
// Issuer defaults to https://accounts.google.com (Config.Issuer overrides
// it, for tests). AllowedHostedDomains restricts sign-in to Google
// Workspace domains: the login URL carries hd= as a hint for Google's
// account chooser, but the decision is made on the hd claim of the
// verified ID token — the hint is a URL parameter anyone can remove.
// email_verified comes from the ID token only (Google always sends it with
// the email scope); the userinfo endpoint is not consulted.
//
// Imports federation and federation/oidc; never anything under idp.
package google
