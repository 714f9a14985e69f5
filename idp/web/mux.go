package web

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// TenantHandler serves a request for a resolved tenant ({tenant} in the
// path). The tenant is fresh from the tenant cache on every request.
type TenantHandler func(w http.ResponseWriter, r *http.Request, t *store.Tenant)

// Mux is how each handler package mounts its routes (its Mount method).
// The composition root implements it once, so what stands in front of a
// route is decided by which method mounted it, visibly, in one table:
// tenant resolution (an unknown tenant is a 404 page), the route's metrics
// label, the sign-in IP allowlist and cross-origin protection.
type Mux interface {
	// Page mounts a page people use (sign-in, account). The tenant's
	// sign-in IP allowlist applies; a route whose method is not GET also
	// gets cross-origin protection (browser forms).
	Page(pattern, name string, h TenantHandler)
	// Endpoint mounts a protocol endpoint (OAuth/OIDC): no sign-in
	// allowlist (the handler applies the API list where it should) and no
	// cross-origin protection (relying parties and SPAs call these from
	// other origins).
	Endpoint(pattern, name string, h TenantHandler)
	// Form mounts a browser form that is not a sign-in page (the logout
	// confirmation): cross-origin protection, no allowlist.
	Form(pattern, name string, h TenantHandler)
	// Handle mounts a route outside any tenant (health, metrics, static
	// files, the dev outbox).
	Handle(pattern string, h http.Handler)
}
