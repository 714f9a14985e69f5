package idp

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/account"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
)

// newAccount wires the self-service pages (idp/account). What they need
// from their tier-3 siblings the root wires: the signed-out page to idp/op's
// LoggedOut, and the upstream redirect of a connect to the federation flow
// still in this package (idp/login's once it lands).
func (s *Server) newAccount() *account.Handler {
	return &account.Handler{
		Store: s.store, Sessions: s.sessions, Factors: s.factors, Passwords: s.passwords, Upstream: s.upstream,
		Mailer: s.mailer, Audit: s.auditor, Pages: s.pages, Sealer: s.sealer, Log: s.log, Clock: s.clock, Dev: s.dev,
		TenantURL: s.tenantURL, Locate: s.locate,
		LoggedOut: s.op.LoggedOut,
		RedirectUpstream: func(w http.ResponseWriter, r *http.Request, t *store.Tenant, c *store.Connection, f *upstream.Flow) {
			s.legacy(func(w http.ResponseWriter, r *http.Request, p *tenantProvider) { s.redirectUpstream(w, r, p, c, f) })(w, r, t)
		},
		Devices: s.manage,
	}
}
