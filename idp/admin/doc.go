// Package admin is the tenant administrators' surface: the REST API under
// /t/{tenant}/api/v1 (and, later, the console). Today it serves the audit
// log: the tenant's events, exports and their history.
//
// Every route is mounted through Handler.api, the one guard in front of the
// API: it reads the bearer access token (issued by the tenant's own token
// endpoint), applies the tenant's API IP allowlist, and checks what the
// route needs — for the audit log, a token of an owner, or a client token
// carrying the gatehouse.audit scope. A refusal is itself an audit event.
// TestEveryAPIRouteIsGuarded calls every mounted route without a token.
//
// Tier 3 (docs/architecture.md): it may import tier 0–2 packages; never a
// sibling handler package (op, login, account) or the root. Verifying a
// token is the OP's business, so it is a function field the root wires.
package admin
