package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Tenant IP allowlists. Two lists per tenant, kept in the tenant's settings
// (so every request reads them from the tenant cache, not the database):
//
//   - signin: the pages people use (login, password reset, account pages);
//     a refused browser gets a 403 page that shows its address.
//   - api: machine endpoints (the token endpoint for client_credentials,
//     introspection); a refused client gets a 403 OAuth error.
//
// The client address is the one the middleware decided: RemoteAddr unless
// the peer is a configured trusted proxy. An address that cannot be told
// never passes a non-empty list. The CLI on the server is the break-glass
// path: it talks to the database, not through these checks.
const (
	ScopeSignin = "signin"
	ScopeAPI    = "api"
)

// IPGate applies a tenant's IP allowlists.
type IPGate struct {
	Pages *Pages
	Log   *slog.Logger
	// Refused records a refusal (metric and security event); wired by the
	// composition root, which owns the audit recorder and the metrics.
	Refused func(ctx context.Context, t *store.Tenant, scope, ip, route string)
}

// Allowlist returns the tenant's stored list for scope.
func Allowlist(set store.TenantSettings, scope string) []store.IPAllowEntry {
	if scope == ScopeAPI {
		return set.IPAllowlistAPI
	}
	return set.IPAllowlistSignin
}

// Allowed reports whether r's client address passes t's list for scope,
// and the address as text. A stored list that no longer parses fails closed.
func (g *IPGate) Allowed(r *http.Request, t *store.Tenant, scope string) (bool, string) {
	ip := ClientIP(r)
	entries := Allowlist(t.Settings, scope)
	if len(entries) == 0 {
		return true, ip
	}
	pe := make([]policy.Entry, len(entries))
	for i, e := range entries {
		pe[i] = policy.Entry{CIDR: e.CIDR, Note: e.Note}
	}
	list, err := policy.ParseAllowlist(pe)
	if err != nil {
		g.Log.Error("ip allowlist: stored list is invalid; refusing", "tenant", t.Slug, "scope", scope, "err", err)
		return false, ip
	}
	addr, _ := netip.ParseAddr(ip)
	return list.Allows(addr), ip
}

// Signin checks the sign-in list; when the address is refused it answers
// the refusal page itself and returns false. The router applies it in
// front of every page; the sign-in transaction applies it again before a
// primary method completes, whatever route led there.
func (g *IPGate) Signin(w http.ResponseWriter, r *http.Request, t *store.Tenant, route string) bool {
	ok, ip := g.Allowed(r, t, ScopeSignin)
	if ok {
		return true
	}
	g.Refused(r.Context(), t, ScopeSignin, ip, route)
	shown := ip
	if shown == "" {
		shown = "unknown"
	}
	g.Pages.Render(w, http.StatusForbidden, "error", &Page{Title: "Access from this network is not allowed", TenantName: t.Name,
		Message: fmt.Sprintf("%s only allows sign-in from its approved networks. Your address, %s, is not one of them. "+
			"Connect through your office network or VPN, or ask your administrator to add this address.", t.Name, shown)})
	return false
}
