package account

import (
	"net/http"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/tenant"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The account pages (/t/{tenant}/account/...) are Gatehouse's own app. Signing
// in to them runs the same login transaction as any relying party: an
// internal authorization request whose client is tenant.AccountClientID and
// whose "redirect" is the account page itself, so every step a tenant
// demands of a sign-in (second factor, risk checks) applies here too.

// accountUser returns the signed-in user and session, or starts a sign-in
// and returns ok=false after redirecting.
func (h *Handler) accountUser(w http.ResponseWriter, r *http.Request, t *store.Tenant) (*store.User, *store.Session, bool) {
	ctx := r.Context()
	now := h.Clock()
	if sess, err := h.Sessions.Current(r, t); err == nil && sess != nil {
		if u, err := h.Store.UserByID(ctx, t.ID, sess.UserID); err == nil && !u.Disabled {
			if err := h.Sessions.Touch(ctx, t, sess); err == nil {
				return u, sess, true
			}
		}
	}
	ar := &store.AuthRequest{
		ID: store.NewID(), TenantID: t.ID, ClientID: tenant.AccountClientID,
		RedirectURI: h.TenantURL(t.Slug) + "/account", Scopes: []string{oidc.ScopeOpenID},
		ResponseType: string(oidc.ResponseTypeCode), CreatedAt: now, ExpiresAt: now.Add(session.AuthRequestTTL),
	}
	if err := h.Sessions.CreateAuthRequest(w, r, t, ar); err != nil {
		h.Pages.Unavailable(w, r, "account: create sign-in request", err)
		return nil, nil, false
	}
	http.Redirect(w, r, h.TenantURL(t.Slug)+"/login?id="+ar.ID, http.StatusFound)
	return nil, nil, false
}

// accountData is what the account pages render.
type accountData struct {
	web.Page
	User      *store.User
	Session   *store.Session
	SignedIn  time.Time
	CSRFField string
}

func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	u, sess, ok := h.accountUser(w, r, t)
	if !ok {
		return
	}
	msg := doneMessages[r.URL.Query().Get("done")] // after a change: its POST redirected here (303)
	if msg == "" {
		msg = h.backupCodesNotice(r.Context(), t.ID, u.ID) // mfa_account.go
	}
	h.renderAccount(w, http.StatusOK, "account", t, u, sess, msg)
}

// doneMessages are what the account page says after a change whose POST
// answered with a redirect (so refreshing never submits it again). Only
// these fixed texts are shown: the query names one, it carries no text.
var doneMessages = map[string]string{
	"password": "Your password was changed. Your other sessions were signed out.",
}

func (h *Handler) renderAccount(w http.ResponseWriter, status int, page string, t *store.Tenant, u *store.User, sess *store.Session, msg string) {
	d := &accountData{Page: web.Page{Title: "Your account", TenantName: t.Name, Message: msg,
		Action: h.TenantURL(t.Slug) + "/account"}, User: u, Session: sess, SignedIn: sess.AuthTime}
	h.Pages.Render(w, status, page, d)
}

// accountLogout ends the browser's session from the account page.
func (h *Handler) accountLogout(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	if sid, ok := h.Sessions.Cookie(r, t); ok {
		if sess, err := h.Store.SessionByID(r.Context(), t.ID, sid); err == nil {
			if err := h.Sessions.End(r.Context(), t, sess, session.ReasonLogout); err != nil { // session.logout
				h.Pages.Unavailable(w, r, "account: end session", err)
				return
			}
		}
	}
	h.Sessions.ClearCookie(w, t)
	h.LoggedOut(w, r, t) // the OP's signed-out page
}
