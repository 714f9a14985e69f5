package idp

import (
	"context"
	"net/http"
	"net/netip"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// "Where you're signed in": /t/{tenant}/account/sessions lists the user's
// active sessions with device (parsed from the User-Agent), IP address,
// location, first and last activity and the apps each signed into; the
// user can end one, or every session but this one. Ending a session revokes
// its refresh tokens and sends back-channel logout tokens (idp/session).

// sessionView is one row of the sessions page.
type sessionView struct {
	ID       string
	Current  bool
	Device   string
	IP       string
	Location string
	Created  time.Time
	LastSeen time.Time
	Apps     []string
}

type sessionsPageData struct {
	pageData
	Sessions []sessionView
	Others   bool
}

func (s *Server) sessionsPage(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	u, sess, ok := s.accountUser(w, r, p)
	if !ok {
		return
	}
	s.renderSessions(w, r, p, u, sess, http.StatusOK, "", "")
}

func (s *Server) renderSessions(w http.ResponseWriter, r *http.Request, p *tenantProvider, u *store.User, cur *store.Session, status int, msg, errMsg string) {
	ctx := r.Context()
	list, err := s.sessions.ListActive(ctx, p.tenant, u.ID)
	if err != nil {
		s.pages.Unavailable(w, r, "sessions page", err)
		return
	}
	base := s.tenantURL(p.tenant.Slug) + "/account"
	d := &sessionsPageData{pageData: pageData{Title: "Where you're signed in", TenantName: p.tenant.Name,
		Action: base + "/sessions", Back: base, Message: msg, Error: errMsg}}
	for _, si := range list {
		v := sessionView{ID: si.Session.ID, Current: si.Session.ID == cur.ID, Device: si.Device, IP: si.Session.IP,
			Location: s.locationOf(ctx, si.Session.IP), Created: si.Session.CreatedAt, LastSeen: si.Session.LastSeenAt}
		for _, a := range si.Apps {
			v.Apps = append(v.Apps, s.clientName(ctx, p.tenant.ID, a.ClientID))
		}
		if !v.Current {
			d.Others = true
		}
		d.Sessions = append(d.Sessions, v)
	}
	s.renderPage(w, status, "sessions", d)
}

// clientName is a client's display name, or its id when it is gone.
func (s *Server) clientName(ctx context.Context, tenantID, clientID string) string {
	if c, err := s.store.ClientByID(ctx, tenantID, clientID); err == nil && c.Name != "" {
		return c.Name
	}
	return clientID
}

// sessionEnd ends one of the user's own sessions.
func (s *Server) sessionEnd(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	u, cur, ok := s.accountUser(w, r, p)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	id := web.Truncate(r.PostForm.Get("session"), 64)
	target, err := s.store.SessionByID(r.Context(), p.tenant.ID, id)
	// Another user's session is "not found": ids are not a way to probe.
	if err != nil || target.UserID != u.ID || !target.Active(s.clock()) || target.ID == cur.ID {
		s.renderSessions(w, r, p, u, cur, http.StatusNotFound, "", "That session is not one of your active sessions (it may have ended already).")
		return
	}
	if err := s.sessions.End(r.Context(), p.tenant, target, "ended_by_user"); err != nil {
		s.pages.Unavailable(w, r, "end session", err)
		return
	}
	s.renderSessions(w, r, p, u, cur, http.StatusOK, "The session was ended; its apps were signed out.", "")
}

// sessionEndOthers ends every session of the user but this one.
func (s *Server) sessionEndOthers(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	u, cur, ok := s.accountUser(w, r, p)
	if !ok {
		return
	}
	n := s.sessions.EndAll(r.Context(), p.tenant, u.ID, cur.ID, "ended_by_user")
	msg := "No other session was active."
	if n > 0 {
		msg = "Signed out everywhere else."
	}
	s.renderSessions(w, r, p, u, cur, http.StatusOK, msg, "")
}

// locationOf is the label of an address's location (GeoIP city and
// country when a database is configured, else its network), from the same
// locator the second-factor step uses.
func (s *Server) locationOf(_ context.Context, ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	_, label := s.locate(a)
	return label
}
