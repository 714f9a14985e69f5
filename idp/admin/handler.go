package admin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Principal is who a bearer token speaks for.
type Principal struct {
	ClientID string   // the client the token was issued to
	UserID   string   // the user it was issued for; "" for a client's own token
	Scopes   []string // the token's scopes
}

// ErrInvalidToken is Verify's answer for a token that is not (or no longer)
// a valid access token of the tenant.
var ErrInvalidToken = errors.New("admin: invalid access token")

// Store is what the handlers read and write.
type Store interface {
	UserByID(ctx context.Context, tenantID, id string) (*store.User, error)
	ListAuditEvents(ctx context.Context, tenantID string, q store.AuditQuery) ([]*store.AuditEvent, error)
	ListAuditExports(ctx context.Context, tenantID string, limit int) ([]*store.AuditExport, error)
}

// Handler serves the admin API.
type Handler struct {
	Store   Store
	Exports *audit.Exports
	Audit   *audit.Recorder
	Gate    *web.IPGate
	Log     *slog.Logger
	// Verify checks a bearer access token of tenant t: signature, expiry
	// and that it was not revoked (the OP's; wired by the root). It returns
	// ErrInvalidToken for a token that does not pass, another error when it
	// cannot tell (the database is down).
	Verify func(ctx context.Context, t *store.Tenant, token string) (*Principal, error)
}

// Mount mounts the API routes. Each goes through h.api with what it needs.
func (h *Handler) Mount(mux web.Mux) {
	mux.Endpoint("GET /t/{tenant}/api/v1/audit", "api_audit", h.api(auditLog, h.listAudit))
	mux.Endpoint("POST /t/{tenant}/api/v1/audit/exports", "api_audit_exports", h.api(auditLog, h.startExport))
	mux.Endpoint("GET /t/{tenant}/api/v1/audit/exports", "api_audit_exports", h.api(auditLog, h.listExports))
	mux.Endpoint("GET /t/{tenant}/api/v1/audit/exports/{id}", "api_audit_exports", h.api(auditLog, h.exportStatus))
	mux.Endpoint("GET /t/{tenant}/api/v1/audit/exports/{id}/download", "api_audit_exports", h.api(auditLog, h.downloadExport))
}

// need is what a route asks of the caller.
type need struct {
	name  string                   // for refusals: "the audit log"
	role  string                   // a user token's minimum role
	scope string                   // a client token's scope
	event func() *store.AuditEvent // the refusal's event (nil: none)
}

var auditLog = need{name: "the audit log", role: store.RoleOwner, scope: store.ScopeAudit,
	event: func() *store.AuditEvent {
		return &store.AuditEvent{Type: audit.AuditAccessRefused, Outcome: store.AuditFailure}
	}}

// caller is the authenticated principal of a request, with its user.
type caller struct {
	Principal
	user *store.User // nil for a client's own token
}

func (c *caller) actor() audit.Actor {
	if c.user != nil {
		return audit.Actor{Kind: store.ActorUser, ID: c.user.ID}
	}
	return audit.Actor{Kind: store.ActorClient, ID: c.ClientID}
}

type apiHandler func(w http.ResponseWriter, r *http.Request, t *store.Tenant, c *caller)

// api is the one guard of the admin API: the API IP allowlist, a bearer
// token of this tenant, and the route's role or scope. Responses are never
// cached.
func (h *Handler) api(n need, next apiHandler) web.TenantHandler {
	return func(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
		w.Header().Set("Cache-Control", "no-store")
		if ok, ip := h.Gate.Allowed(r, t, web.ScopeAPI); !ok {
			h.Gate.Refused(r.Context(), t, web.ScopeAPI, ip, "api")
			apiError(w, http.StatusForbidden, "access_denied", "this address is not on the tenant's API allowlist")
			return
		}
		token, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
			apiError(w, http.StatusUnauthorized, "invalid_token", "send an access token of this tenant as Authorization: Bearer")
			return
		}
		p, err := h.Verify(r.Context(), t, token)
		if errors.Is(err, ErrInvalidToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse", error="invalid_token"`)
			apiError(w, http.StatusUnauthorized, "invalid_token", "the access token is not valid for this tenant")
			return
		}
		if err != nil {
			h.unavailable(w, "verify token", err)
			return
		}
		c := &caller{Principal: *p}
		allowed := false
		if p.UserID != "" {
			u, err := h.Store.UserByID(r.Context(), t.ID, p.UserID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				apiError(w, http.StatusUnauthorized, "invalid_token", "the access token's user no longer exists")
				return
			case err != nil:
				h.unavailable(w, "load user", err)
				return
			}
			c.user = u
			allowed = !u.Disabled && store.RoleAtLeast(u.Role, n.role)
		} else {
			allowed = slices.Contains(p.Scopes, n.scope)
		}
		if !allowed {
			if n.event != nil {
				e := n.event()
				e.TenantID, e.ClientID, e.UserID = t.ID, c.ClientID, c.UserID
				a := c.actor()
				e.ActorKind, e.ActorID = a.Kind, a.ID
				e.Detail = map[string]string{"route": r.Pattern}
				h.Audit.Record(r.Context(), e)
			}
			msg := "only the tenant's owners may use " + n.name
			if c.user == nil {
				msg = "this client's token lacks the " + n.scope + " scope"
			}
			apiError(w, http.StatusForbidden, "forbidden", msg)
			return
		}
		next(w, r, t, c)
	}
}

// bearer returns the request's bearer token.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}

func (h *Handler) unavailable(w http.ResponseWriter, what string, err error) {
	h.Log.Error("admin api: "+what, "err", err)
	w.Header().Set("Retry-After", "5")
	apiError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "try again in a few seconds")
}

// Problem is one thing wrong with a request, naming the field.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// apiError writes the API's one error shape: {"error", "message",
// "problems"}; problems lists every bad field at once.
func apiError(w http.ResponseWriter, status int, code, msg string, problems ...Problem) {
	body := map[string]any{"error": code, "message": msg}
	if len(problems) > 0 {
		body["problems"] = problems
	}
	web.JSON(w, status, body)
}
