package idp

import (
	"context"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/account"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
)

// newAccount wires the self-service pages (idp/account). What they need
// from their tier-3 siblings is wired here to the code that still lives in
// this package: the signed-out page (idp/op's), the upstream redirect of a
// connect (idp/login's federation flow) and the device centre (idp/manage's).
func (s *Server) newAccount() *account.Handler {
	return &account.Handler{
		Store: s.store, Sessions: s.sessions, Factors: s.factors, Passwords: s.passwords, Upstream: s.upstream,
		Mailer: s.mailer, Audit: s.auditor, Pages: s.pages, Sealer: s.sealer, Log: s.log, Clock: s.clock, Dev: s.dev,
		TenantURL: s.tenantURL, Locate: s.locate,
		LoggedOut: s.legacy(s.loggedOut),
		RedirectUpstream: func(w http.ResponseWriter, r *http.Request, t *store.Tenant, c *store.Connection, f *upstream.Flow) {
			s.legacy(func(w http.ResponseWriter, r *http.Request, p *tenantProvider) { s.redirectUpstream(w, r, p, c, f) })(w, r, t)
		},
		UserDevices:   s.accountDevices,
		ChangeDevice:  s.ChangeDevice,
		DeviceProblem: deviceProblem,
	}
}

// accountDevices is UserDevices in the account page's view.
func (s *Server) accountDevices(ctx context.Context, t *store.Tenant, userID string, r *http.Request) ([]account.DeviceView, error) {
	list, err := s.UserDevices(ctx, t, userID, r)
	if err != nil {
		return nil, err
	}
	out := make([]account.DeviceView, len(list))
	for i, v := range list {
		out[i] = account.DeviceView(v)
	}
	return out, nil
}
