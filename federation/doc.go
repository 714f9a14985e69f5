// Package federation is Gatehouse's upstream-identity library: "Sign in with
// Google", "Sign in with Office 365" (Microsoft Entra ID) and generic OpenID
// Connect, plus the account-linking rules.
//
// It owns:
//   - Identity, the verified result of an upstream sign-in, keyed by
//     (ConnectionID, Issuer, Subject) — never by the mutable email;
//   - Connector, the small interface every upstream kind implements
//     (LoginURL + Exchange), and Config, whose Open builds one; New is the
//     single entry point and insists on an injected *http.Client with a
//     timeout and an injected Clock;
//   - the typed errors the idp layer maps to pages and audit events
//     (PublicMessage gives the generic text for people);
//   - state, nonce and PKCE helpers that read an injected io.Reader, and
//     ParseCallback for the redirect back from the upstream;
//   - DecideLink, the linking decision as a pure function.
//
// The connectors live in sub-packages: oidc (generic, coreos/go-oidc/v3 +
// golang.org/x/oauth2), google and microsoft (both built on oidc);
// connectors decodes a stored JSON config by kind; fedtest runs real
// in-process OpenID providers for tests.
//
// It must NOT import anything under github.com/gatehouse-idp/gatehouse/idp,
// has no HTTP routing and no storage: the idp layer mounts
// /t/{tenant}/login/federated/{connection_id}/callback, keeps the login
// transaction (state, nonce, PKCE verifier), stores connections and links,
// and calls this package.
package federation
