// Package idp is the composition root of Gatehouse, an OpenID provider with
// one issuer per tenant ({public_url}/t/{slug}). It holds no handlers and
// no rules of its own: New builds every service and handler package and
// wires them to each other, Handler mounts each package's routes on the
// one router, and the sweeper removes what expired.
//
//   - server.go: Options and New (the services of tier 2, the handlers of
//     tier 3), Wait, Manage (the door the CLI uses).
//   - routes.go: Handler, the route table — health, metrics, static files,
//     the dev outbox, then op, admin, login and account, each by its Mount.
//   - router.go: the one web.Mux: tenant resolution, the metrics label, the
//     sign-in IP allowlist on pages and cross-origin protection on forms.
//   - *_wiring.go: per handler package, what it gets from its siblings
//     (function fields: login's LoginRequired is op's, account's LoggedOut is
//     op's, admin's Verify is op's VerifyAccessToken, login and account reach
//     each other for a connected account's round trip).
//   - sweeper.go: expired requests, tokens and states; audit retention in
//     batches; expired export files.
//   - metrics.go, policy_metrics.go: the Prometheus series.
//
// The packages, by tier (docs/architecture.md has the map and the reasons):
// op (the OpenID provider), login (the sign-in transaction), account (the
// self-service pages and the sensitive-action guard) and admin (the admin
// API) in tier 3; session, factors, mailer, upstream and manage in tier 2;
// web, tenant, audit and keys in tier 1; the libraries in tier 0.
// internal/layering's TestImportDirections holds the directions.
package idp
