package idp

import (
	"net/http"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/tenant"
)

// The account pages (/t/{tenant}/account/...) are Gatehouse's own app. Signing
// in to them runs the same login transaction as any relying party: an
// internal authorization request whose client is tenant.AccountClientID and
// whose "redirect" is the account page itself, so every step a tenant
// demands of a sign-in (second factor, risk checks) applies here too.

// accountUser returns the signed-in user and session, or starts a sign-in
// and returns ok=false after redirecting.
func (s *Server) accountUser(w http.ResponseWriter, r *http.Request, p *tenantProvider) (*store.User, *store.Session, bool) {
	ctx := r.Context()
	now := s.clock()
	if sess, err := s.sessions.Current(r, p.tenant); err == nil && sess != nil {
		if u, err := s.store.UserByID(ctx, p.tenant.ID, sess.UserID); err == nil && !u.Disabled {
			if err := s.sessions.Touch(ctx, p.tenant, sess); err == nil {
				return u, sess, true
			}
		}
	}
	ar := &store.AuthRequest{
		ID: store.NewID(), TenantID: p.tenant.ID, ClientID: tenant.AccountClientID,
		RedirectURI: s.tenantURL(p.tenant.Slug) + "/account", Scopes: []string{oidc.ScopeOpenID},
		ResponseType: string(oidc.ResponseTypeCode), CreatedAt: now, ExpiresAt: now.Add(session.AuthRequestTTL),
	}
	if err := s.createBoundAuthRequest(w, r, p.tenant, ar); err != nil {
		s.pages.Unavailable(w, r, "account: create sign-in request", err)
		return nil, nil, false
	}
	http.Redirect(w, r, s.tenantURL(p.tenant.Slug)+"/login?id="+ar.ID, http.StatusFound)
	return nil, nil, false
}

// accountData is what the account pages render.
type accountData struct {
	pageData
	User      *store.User
	Session   *store.Session
	SignedIn  time.Time
	CSRFField string
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	u, sess, ok := s.accountUser(w, r, p)
	if !ok {
		return
	}
	s.renderAccount(w, http.StatusOK, "account", p, u, sess, s.backupCodesNotice(r.Context(), p.tenant.ID, u.ID)) // mfa_account.go
}

func (s *Server) renderAccount(w http.ResponseWriter, status int, page string, p *tenantProvider, u *store.User, sess *store.Session, msg string) {
	d := &accountData{pageData: pageData{Title: "Your account", TenantName: p.tenant.Name, Message: msg,
		Action: s.tenantURL(p.tenant.Slug) + "/account"}, User: u, Session: sess, SignedIn: sess.AuthTime}
	s.renderPage(w, status, page, d)
}

// accountLogout ends the browser's session from the account page.
func (s *Server) accountLogout(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	if sid, ok := s.sessions.Cookie(r, p.tenant); ok {
		if sess, err := s.store.SessionByID(r.Context(), p.tenant.ID, sid); err == nil {
			if err := s.sessions.End(r.Context(), p.tenant, sess, session.ReasonLogout); err != nil { // session.logout
				s.pages.Unavailable(w, r, "account: end session", err)
				return
			}
		}
	}
	s.sessions.ClearCookie(w, p.tenant)
	s.op.LoggedOut(w, r, p.tenant)
}
