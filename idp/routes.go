package idp

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Handler returns the whole HTTP application.
func (s *Server) Handler() http.Handler {
	mux := newRouter(s)

	mux.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) }))
	mux.Handle("GET /readyz", http.HandlerFunc(s.ready))
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(s.pages.Static)))
	mux.Handle("GET /{$}", http.HandlerFunc(s.home))
	mux.Handle("GET /favicon.ico", http.RedirectHandler("/static/favicon.svg", http.StatusMovedPermanently))
	// Dev only: what the server would have sent (idp/web's outbox page).
	if s.dev && s.outbox != nil {
		mux.Handle("GET /dev/outbox", s.pages.Outbox(s.outbox))
	}

	// The OpenID provider: discovery, keys, authorize, token, introspection,
	// userinfo, revocation, end_session and the "Signed out" page (idp/op).
	s.op.Mount(mux)
	// The admin API: the audit log (idp/admin), behind its bearer-token guard.
	s.admin.Mount(mux)

	// The sign-in transaction (idp/login): /login…, /setup, password reset,
	// the expired-password step, federation, second factors, passkeys.
	s.login.Mount(mux)

	// The account pages, every /t/{tenant}/account route, each sensitive
	// one behind the guard in idp/account's own table.
	s.account.Mount(mux)

	s.routePatterns = mux.patterns
	return (&web.Middleware{Proxies: s.proxies, Log: s.log, Dev: s.dev}).Wrap(mux.mux)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness: database", "err", err)
		http.Error(w, "database unavailable\n", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// clientIP returns the request's client IP as decided by the middleware.
func (s *Server) clientIP(r *http.Request) string { return web.ClientIP(r) }

// homePage is / : in dev mode, the default tenant's issuer, discovery
// document and account page, and the outbox; in production it names no
// tenant (which tenants exist is nobody's business).
type homePage struct {
	web.Page
	Dev     bool
	Tenants []homeTenant
	Outbox  string
}

type homeTenant struct{ Name, Issuer, Discovery, Account string }

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	d := &homePage{Page: web.Page{Title: "Gatehouse"}, Dev: s.dev}
	if s.dev {
		if t, err := s.tenants.BySlug(r.Context(), "default"); err == nil {
			iss := s.tenantURL(t.Slug)
			d.Tenants = append(d.Tenants, homeTenant{Name: t.Name, Issuer: iss,
				Discovery: iss + "/.well-known/openid-configuration", Account: iss + "/account"})
		}
		if s.outbox != nil {
			d.Outbox = "/dev/outbox"
		}
	}
	s.pages.Render(w, http.StatusOK, "home", d)
}
