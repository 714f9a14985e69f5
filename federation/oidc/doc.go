// Package oidc is the generic OpenID Connect upstream connector, built on
// coreos/go-oidc/v3 (discovery, ID-token verification) and
// golang.org/x/oauth2 (authorization URL, code exchange).
//
// Every login uses the authorization-code flow with PKCE S256, a nonce and
// the scopes "openid email profile". ID tokens are checked for signature,
// iss, aud, exp (go-oidc), azp, iat and nonce (here). Signing keys come from
// KeySet, a JWKS cache that refetches at most once per cooldown on an
// unknown kid, so forged tokens with random kids cannot make Gatehouse
// hammer the upstream.
//
// email_verified: taken from the ID token. Only when the token has no
// email_verified claim (or no email) and the connection enables
// UserInfoFallback (the default for generic OIDC) does the connector call
// the userinfo endpoint, and it uses the answer only if userinfo's sub
// equals the token's sub and its email equals the token's email (when the
// token has one). Absent everywhere means not verified.
//
// The google and microsoft packages reuse this connector through Options.
// It imports federation only; never anything under idp.
package oidc
