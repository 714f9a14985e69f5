// Package session owns the SSO session's life cycle: the session cookie
// (name, MAC, secret, set and clear, reading an authentic one), starting a
// session at the end of a sign-in or re-authenticating the browser's own
// one in place, the browser's current session, ending one session, all of a
// user's sessions or all but one, OpenID Connect back-channel logout when a
// session ends, the device cookie that names a browser across sign-ins, and
// the browser half of a sign-in request: the login-binding cookie that ties
// an authorization request to the browser that started it
// (CreateAuthRequest, BoundToBrowser; authrequest.go).
//
// The root builds one Service (idp.New) and the page handlers call it. It
// decides nothing about a sign-in itself: which methods, factors and risk
// checks a sign-in needs is the login transaction's; Start records the
// result.
//
// It is tier 2 of the package map (docs/architecture.md). It may import
// the libraries (idp/store types, idp/seal, idp/device) and tier 1: idp/web
// (the request's IP and user agent, public errors), idp/audit, idp/keys
// (logout tokens are signed with the tenant's key). It must not import
// package idp, another tier-2 package or a handler package (tier 3);
// idp/manage may use it. Its store is the narrow Store interface, which store.Store
// satisfies; the tenant cache comes in as the Tenants interface.
package session
