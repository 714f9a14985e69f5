// Package session owns the SSO session's life cycle: the session cookie
// (name, MAC, secret, set and clear, reading an authentic one), starting a
// session at the end of a sign-in or re-authenticating the browser's own
// one in place, the browser's current session, ending one session, all of a
// user's sessions or all but one, OpenID Connect back-channel logout when a
// session ends, and the device cookie that names a browser across sign-ins.
//
// The root builds one Service (idp.New) and the page handlers call it. It
// decides nothing about a sign-in itself: which methods, factors and risk
// checks a sign-in needs is the login transaction's; Start records the
// result.
//
// It is tier 2 of the package map (docs/architecture.md): it imports the
// store types, idp/audit, idp/keys (logout tokens are signed with the
// tenant's key), idp/device and idp/seal, never package idp, a handler
// package or another tier-2 package. Its store is the narrow Store
// interface, which store.Store satisfies.
package session
