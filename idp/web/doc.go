// Package web is what every Gatehouse handler package shares about HTTP:
// the page renderer and its Content-Security-Policy, the one error page and
// the one "temporarily unavailable" page, the one JSON error writer, the
// user-facing error type (Public), and the middleware that decides a
// request's id, client IP (trusted proxies only) and body limit and keeps
// them in the request context. The dev outbox page (outbox.go) is here
// too: a page outside any tenant that only needs the renderer.
//
// Tier 1 (docs/architecture.md): it imports only libraries (store types,
// templates), never a sibling or a handler package.
package web
