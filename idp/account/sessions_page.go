package account

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
	web.Page
	Sessions []sessionView
	Others   bool
}

func (h *Handler) sessionsPage(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	u, sess, ok := h.accountUser(w, r, t)
	if !ok {
		return
	}
	h.renderSessions(w, r, t, u, sess, http.StatusOK, "", "")
}

func (h *Handler) renderSessions(w http.ResponseWriter, r *http.Request, t *store.Tenant, u *store.User, cur *store.Session, status int, msg, errMsg string) {
	ctx := r.Context()
	list, err := h.Sessions.ListActive(ctx, t, u.ID)
	if err != nil {
		h.Pages.Unavailable(w, r, "sessions page", err)
		return
	}
	base := h.TenantURL(t.Slug) + "/account"
	d := &sessionsPageData{Page: web.Page{Title: "Where you're signed in", TenantName: t.Name,
		Action: base + "/sessions", Back: base, Message: msg, Error: errMsg}}
	for _, si := range list {
		v := sessionView{ID: si.Session.ID, Current: si.Session.ID == cur.ID, Device: si.Device, IP: si.Session.IP,
			Location: h.locationOf(ctx, si.Session.IP), Created: si.Session.CreatedAt, LastSeen: si.Session.LastSeenAt}
		for _, a := range si.Apps {
			v.Apps = append(v.Apps, h.clientName(ctx, t.ID, a.ClientID))
		}
		if !v.Current {
			d.Others = true
		}
		d.Sessions = append(d.Sessions, v)
	}
	h.Pages.Render(w, status, "sessions", d)
}

// clientName is a client's display name, or its id when it is gone.
func (h *Handler) clientName(ctx context.Context, tenantID, clientID string) string {
	if c, err := h.Store.ClientByID(ctx, tenantID, clientID); err == nil && c.Name != "" {
		return c.Name
	}
	return clientID
}

// sessionEnd ends one of the user's own sessions.
func (h *Handler) sessionEnd(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	u, cur, ok := h.accountUser(w, r, t)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.Pages.Error(w, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	id := web.Truncate(r.PostForm.Get("session"), 64)
	target, err := h.Store.SessionByID(r.Context(), t.ID, id)
	// Another user's session is "not found": ids are not a way to probe.
	if err != nil || target.UserID != u.ID || !target.Active(h.Clock()) || target.ID == cur.ID {
		h.renderSessions(w, r, t, u, cur, http.StatusNotFound, "", "That session is not one of your active sessions (it may have ended already).")
		return
	}
	if err := h.Sessions.End(r.Context(), t, target, "ended_by_user"); err != nil {
		h.Pages.Unavailable(w, r, "end session", err)
		return
	}
	h.renderSessions(w, r, t, u, cur, http.StatusOK, "The session was ended; its apps were signed out.", "")
}

// sessionEndOthers ends every session of the user but this one.
func (h *Handler) sessionEndOthers(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	u, cur, ok := h.accountUser(w, r, t)
	if !ok {
		return
	}
	n := h.Sessions.EndAll(r.Context(), t, u.ID, cur.ID, "ended_by_user")
	msg := "No other session was active."
	if n > 0 {
		msg = "Signed out everywhere else."
	}
	h.renderSessions(w, r, t, u, cur, http.StatusOK, msg, "")
}

// locationOf is the label of an address's location (GeoIP city and
// country when a database is configured, else its network), from the same
// locator the second-factor step uses.
func (h *Handler) locationOf(_ context.Context, ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	_, label := h.Locate(a)
	return label
}
