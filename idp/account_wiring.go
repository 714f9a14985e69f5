package idp

import (
	"github.com/gatehouse-idp/gatehouse/idp/account"
)

// newAccount wires the self-service pages (idp/account). What they need
// from their tier-3 siblings the root wires: the signed-out page to idp/op's
// LoggedOut, and the upstream redirect of a connect to idp/login's
// federation flow, whose callback finishes the connect.
func (s *Server) newAccount() *account.Handler {
	return &account.Handler{
		Store: s.store, Sessions: s.sessions, Factors: s.factors, Passwords: s.passwords, Upstream: s.upstream,
		Mailer: s.mailer, Audit: s.auditor, Pages: s.pages, Sealer: s.sealer, Log: s.log, Clock: s.clock, Dev: s.dev,
		TenantURL: s.tenantURL, Locate: s.locate,
		LoggedOut:        s.op.LoggedOut,
		RedirectUpstream: s.login.RedirectUpstream,
		Devices:          s.manage,
	}
}
