// Package login is the sign-in transaction of one authorization request,
// from the login page to the completed request (docs/architecture.md, "A
// login"): it is one package because the transaction is its spine.
//
// It owns:
//
//   - the login page, single sign-on from an existing session (and
//     prompt=none), the password form, and finishPrimary, where every
//     primary method ends: the sign-in allowlist again, blocked browsers and
//     locations, the second-factor decision, then the session and
//     completeLogin (login.go);
//   - loadPendingRequest, the one loader of a pending request: every handler
//     of the transaction loads its request there, and it checks the browser
//     binding (idp/session owns the binding cookie; login_binding.go);
//   - the second-factor step /login/2fa: challenge, enrolment of a first
//     factor, backup codes, the attempt refusals, passkeys as a second
//     factor and passwordless sign-in (mfa_*.go); the factors themselves and
//     the credential guard are idp/factors';
//   - risk: the device cookie's and the location's "seen before", the
//     sign-in half of the device centre (blocked, new device or location),
//     and client locations (mfa_device.go, device_centre.go, location.go);
//   - federation: "Sign in with …", the callback (which also ends the
//     account page's "connect" round trip, by the flow's purpose), linking
//     by proof of the local account (federation_*.go); connectors and the
//     sealed flow are idp/upstream's;
//   - the first owner's setup page, password reset by email link, and the
//     expired-password step (setup.go, password_reset.go, password_change.go).
//
// Handler's exported fields are its dependencies; Store is the narrow store
// interface it uses (store.Store satisfies it). What a sibling owns arrives
// as a function field the root wires: LoginRequired (the OP's error
// response) and Connected (the account side's email after a connect); tier
// 2 it calls directly (manage.ValidEmail, manage.Passwords). Mount mounts
// every /login…, /setup route.
//
// login is tier 3 of the package map. It may import the libraries, tier 1
// (web, tenant, audit) and tier 2 (session, factors, mailer, upstream,
// manage); it must not import package idp or another tier-3 package
// (idp/op, idp/account, idp/admin).
package login
