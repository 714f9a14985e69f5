// Package manage holds the services behind the CLI, and later the admin
// console and REST API: tenants, clients, users, connections, allowlists,
// sessions, devices, passwords, MFA reset, unlock and setup links. The
// sign-in and account pages use the same services (passwords above all),
// so a rule is enforced in one place whoever asks.
//
//   - Service (manage.go) is the management service: tenants, clients
//     (with the redirect-URI registration rules), users, key rotation, MFA
//     reset and unlock (manage.go); upstream connections (connections.go);
//     the tenant IP allowlists and the lockout check (ipallow.go); an
//     administrator's view of sessions (sessions.go); the device centre's
//     list, block, unblock and forget (device_centre.go); the first-owner
//     setup link and ValidEmail, the email rule of every form (setup.go).
//     Each operation validates all of its input first, reports every
//     problem at once (InputError) and writes nothing unless all is valid.
//   - Passwords (passwords.go) sets passwords under the tenant policy.
//
// Audit events name the path a change came through in their "via" detail
// ("cli", "account", ...): callers pass it where more than one path exists
// (ChangeDevice); the CLI-only operations write "cli". The actor is left
// to audit.Recorder (who a request is about, or its Outside kind); when the
// console and the API call these operations, the acting administrator is
// set on the event next to "via", without changing any check.
//
// Its store is Store: the aggregate interfaces it manages whole and five
// methods of others, not store.Store.
//
// Tier 2 (docs/architecture.md): it may import tier 0 and tier 1 packages
// and, sideways, idp/session and idp/upstream; never a handler package,
// never idp/factors or idp/mailer (what it needs from them is a function
// field the composition root wires: Service.ResetFactors,
// Service.ClearFailures, Passwords.Changed; and the location naming is
// Service.Locate, the root's locator).
package manage
