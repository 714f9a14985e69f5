package idp

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// router is the one web.Mux every handler package mounts on: it resolves
// the tenant, labels the route for metrics, and puts the sign-in IP
// allowlist and cross-origin protection in front exactly where the mounting
// method says. It remembers the patterns, so tests can walk the route table
// (TestSensitiveRoutesAreGuarded checks every state-changing account route).
type router struct {
	s        *Server
	mux      *http.ServeMux
	forms    *http.CrossOriginProtection
	patterns []string
}

func newRouter(s *Server) *router {
	return &router{s: s, mux: http.NewServeMux(), forms: http.NewCrossOriginProtection()}
}

func (m *router) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.mux.Handle(pattern, h)
}

func (m *router) Page(pattern, name string, h web.TenantHandler) {
	gated := func(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
		if m.s.gate.Signin(w, r, t, name) {
			h(w, r, t)
		}
	}
	m.mount(pattern, name, gated, !isGET(pattern))
}

func (m *router) Endpoint(pattern, name string, h web.TenantHandler) {
	m.mount(pattern, name, h, false)
}

func (m *router) Form(pattern, name string, h web.TenantHandler) { m.mount(pattern, name, h, true) }

func (m *router) mount(pattern, name string, h web.TenantHandler, form bool) {
	var hh http.Handler = m.s.metrics.instrument(name, m.s.withTenant(h))
	if form {
		hh = m.forms.Handler(hh)
	}
	m.Handle(pattern, hh)
}

// isGET reports whether a pattern is for GET (and HEAD) only.
func isGET(pattern string) bool { return len(pattern) > 4 && pattern[:4] == "GET " }

// withTenant resolves {tenant}; an unknown tenant is a 404 page.
func (s *Server) withTenant(h web.TenantHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, err := s.tenants.BySlug(r.Context(), r.PathValue("tenant"))
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				s.pages.Error(w, http.StatusNotFound, "Unknown organisation", "There is no Gatehouse tenant at this address.")
				return
			}
			s.pages.Unavailable(w, r, "load tenant", err)
			return
		}
		h(w, web.Rebind(w, r), t)
	}
}

// Routes returns the patterns mounted by Handler, in mounting order ("GET
// /t/{tenant}/account", ...); nil before Handler was called.
func (s *Server) Routes() []string { return slices.Clone(s.routePatterns) }
