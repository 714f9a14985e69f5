// Package factors is Gatehouse's second-factor service and the one guard
// every credential check goes through.
//
// It owns:
//
//   - policy and availability: a tenant's resolved second-factor policy
//     (Policy: what may be enrolled, what can verify on this server), what a
//     user holds (Holdings) and the one answer to "may this sign-in enrol a
//     first factor" (Holdings.MayEnrol);
//   - checking and sending codes: TOTP, SMS and email codes, backup codes;
//     every single-use value is consumed by one conditional UPDATE in the
//     store, so two replicas racing on one code cannot both accept it;
//   - enrolment, backup codes, the administrator's reset (ResetMFA) and the
//     WebAuthn ceremonies (registration, the assertion's signature counter,
//     passwordless sign-in);
//   - the brute-force guard (VerifyThrottled): every check of a password, a
//     typed code or a passkey assertion reserves its attempt in the
//     database first, then checks, then settles. Passwords go through it
//     too, not only second factors: the guard is the one
//     reserve → check → settle of every credential, so it lives in one
//     place. The checking primitives are reachable only from the
//     credentials' unexported verifyNow methods, and those only from
//     VerifyThrottled; TestCredentialChecksGoThroughTheGuard scans the
//     module's source for any other path.
//
// It renders no page and mounts no route: the sign-in and account handlers
// call the Service and turn its errors into pages. An error whose text may
// be shown implements web.Public; any other error is internal.
//
// factors is tier 2 of the package map (docs/architecture.md). It may
// import the libraries (store, policy, seal, notify, password, mfa/...) and
// tier 1 (web, tenant, audit); never package idp, a handler package or a
// tier-2 sibling. What only a sibling can do — sending an email, telling a
// user about a change — arrives as a function field wired by the root.
package factors
