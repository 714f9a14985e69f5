// Package manage holds the services behind the CLI, and later the admin
// console and REST API: tenants, clients, users, connections, allowlists,
// sessions, devices, passwords, MFA reset, unlock and setup links. The
// sign-in and account pages use the same services (passwords above all),
// so a rule is enforced in one place whoever asks.
//
// Tier 2 (docs/architecture.md): it may import tier 0 and tier 1 packages
// and, sideways, idp/session and idp/upstream; never a handler package,
// never idp/factors or idp/mailer (what it needs from them is a function
// field the composition root wires).
package manage
