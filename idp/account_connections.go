package idp

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
)

// Connected accounts (/t/{tenant}/account/connections): the signed-in user
// sees their links, connects another upstream account with a full upstream
// round trip, and disconnects one.
//
// An explicit connect links whatever upstream account the user signs in
// with, without comparing emails or requiring email_verified: the person
// has just proved control of both accounts (the Gatehouse session and the
// upstream sign-in), which is the proof the login-time linking asks for.
// The connection's own rules (hosted domain, Entra tenants) still apply,
// and an upstream account linked to someone else is refused.

type linkRow struct {
	Connection   string
	ConnectionID string
	Issuer       string
	Subject      string
	Email        string
	LinkedAt     time.Time
	LastUsedAt   time.Time
	Disabled     bool
}

type connectionsPage struct {
	pageData
	Links       []linkRow
	Connectable []connectionButton
}

// Messages the page shows after an action (?done=...).
var connectionMessages = map[string]string{
	"connected":    "The account was connected. You can now sign in with it.",
	"disconnected": "The account was disconnected.",
	"already":      "That account was already connected to yours.",
}

func (s *Server) accountConnections(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	u, _, ok := s.accountUser(w, r, p)
	if !ok {
		return
	}
	s.renderConnections(w, r, p, u, http.StatusOK, connectionMessages[r.URL.Query().Get("done")], "")
}

func (s *Server) renderConnections(w http.ResponseWriter, r *http.Request, p *tenantProvider, u *store.User, status int, msg, errMsg string) {
	ctx := r.Context()
	conns, err := s.store.ListConnections(ctx, p.tenant.ID)
	if err != nil {
		s.pages.Unavailable(w, r, "account: list connections", err)
		return
	}
	links, err := s.store.ListUserLinks(ctx, p.tenant.ID, u.ID)
	if err != nil {
		s.pages.Unavailable(w, r, "account: list links", err)
		return
	}
	byID := map[string]*store.Connection{}
	for _, c := range conns {
		byID[c.ID] = c
	}
	base := s.tenantURL(p.tenant.Slug) + "/account/connections"
	d := &connectionsPage{pageData: pageData{Title: "Connected accounts", TenantName: p.tenant.Name, Message: msg,
		Error: errMsg, Action: base, Back: s.tenantURL(p.tenant.Slug) + "/account", BackLabel: "Back to your account"}}
	linked := map[string]bool{}
	for _, l := range links {
		c := byID[l.ConnectionID]
		if c == nil { // removed between the two reads
			continue
		}
		d.Links = append(d.Links, linkRow{Connection: c.Name, ConnectionID: l.ConnectionID, Issuer: l.Issuer,
			Subject: l.Subject, Email: l.Email, LinkedAt: l.CreatedAt, LastUsedAt: l.LastUsedAt, Disabled: !c.Enabled})
		linked[l.ConnectionID] = true
	}
	for _, c := range conns {
		if c.Enabled && !linked[c.ID] {
			d.Connectable = append(d.Connectable, connectionButton{Label: "Connect " + c.Name, Action: base + "/" + c.ID + "/connect"})
			if o := upstream.Origin(c); o != "" {
				d.FormActions = append(d.FormActions, o)
			}
		}
	}
	s.renderPage(w, status, "connections", d)
}

// accountConnect starts the upstream round trip that links to the
// signed-in user.
func (s *Server) accountConnect(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	u, sess, ok := s.accountUser(w, r, p)
	if !ok {
		return
	}
	connID := r.PathValue("connection_id")
	f, err := s.upstream.NewFlow(upstream.FlowConnect, connID)
	if err != nil {
		s.pages.Unavailable(w, r, "account: new flow", err)
		return
	}
	f.UserID, f.SessionID = u.ID, sess.ID
	c, err := s.upstream.EnabledConnection(r.Context(), p.tenant, connID)
	if err != nil {
		s.renderConnections(w, r, p, u, http.StatusNotFound, "", "This sign-in option is not available.")
		return
	}
	s.login.RedirectUpstream(w, r, p.tenant, c, f)
}

// accountDisconnect removes one of the user's links, unless it is the
// account's last way to sign in.
func (s *Server) accountDisconnect(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	u, _, ok := s.accountUser(w, r, p)
	if !ok {
		return
	}
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	connID, iss, sub := r.PostForm.Get("connection_id"), r.PostForm.Get("issuer"), r.PostForm.Get("subject")
	links, err := s.store.ListUserLinks(ctx, p.tenant.ID, u.ID)
	if err != nil {
		s.pages.Unavailable(w, r, "account: list links", err)
		return
	}
	var target *store.Link
	otherWays := 0
	for _, l := range links {
		if l.ConnectionID == connID && l.Issuer == iss && l.Subject == sub {
			target = l
			continue
		}
		if c, err := s.store.ConnectionByID(ctx, p.tenant.ID, l.ConnectionID); err == nil && c.Enabled {
			otherWays++
		}
	}
	if target == nil {
		s.renderConnections(w, r, p, u, http.StatusNotFound, "", "That connected account was not found.")
		return
	}
	if u.PasswordHash == "" && otherWays == 0 {
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.FederationRefused, UserID: u.ID,
			Detail: map[string]string{"reason": "last_sign_in_method", "connection_id": connID}})
		s.renderConnections(w, r, p, u, http.StatusConflict, "",
			"This is the only way you can sign in, so it cannot be disconnected. Set a password or connect another account first.")
		return
	}
	if err := s.store.DeleteLink(ctx, p.tenant.ID, u.ID, connID, iss, sub); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.renderConnections(w, r, p, u, http.StatusNotFound, "", "That connected account was not found.")
			return
		}
		s.pages.Unavailable(w, r, "account: delete link", err)
		return
	}
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.FederationUnlink, UserID: u.ID,
		Detail: map[string]string{"connection_id": connID, "issuer": iss, "subject": sub, "via": "account"}})
	s.sensitiveDone(r, actDisconnected, s.connectionLabel(ctx, p, connID, target.Email))
	http.Redirect(w, r, s.tenantURL(p.tenant.Slug)+"/account/connections?done=disconnected", http.StatusSeeOther)
}

// connectionLabel is "Okta (alice@example.com)" for a link's email, or the
// connection id when the connection is gone.
func (s *Server) connectionLabel(ctx context.Context, p *tenantProvider, connID, email string) string {
	if c, err := s.store.ConnectionByID(ctx, p.tenant.ID, connID); err == nil {
		return c.Name + accountSuffix(email)
	}
	return connID + accountSuffix(email)
}

func accountSuffix(email string) string {
	if email == "" {
		return ""
	}
	return " (" + email + ")"
}
