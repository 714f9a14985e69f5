package idp

import (
	"context"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The account page /t/{tenant}/account/password: changing a password from
// a signed-in browser. The expired-password step of sign-in is idp/login's.

func (s *Server) accountPasswordData(p *tenantProvider, u *store.User, ctx context.Context, status string, errMsg string) *web.PasswordPage {
	base := s.tenantURL(p.tenant.Slug) + "/account"
	return &web.PasswordPage{Page: web.Page{Title: "Change your password", TenantName: p.tenant.Name, Action: base + "/password",
		Email: u.Email, Error: errMsg, Message: status, Back: base, BackLabel: "Back to your account"},
		NeedCurrent: true, Rules: manage.RulesText(manage.PasswordPolicy(s.tenantSettings(ctx, p)))}
}

func (s *Server) accountPasswordPage(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	u, _, ok := s.accountUser(w, r, p)
	if !ok {
		return
	}
	s.renderPage(w, http.StatusOK, "password", s.accountPasswordData(p, u, r.Context(), "", ""))
}

func (s *Server) accountPasswordSubmit(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	ctx := r.Context()
	u, sess, ok := s.accountUser(w, r, p)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	again := func(status int, msg string) {
		s.renderPage(w, status, "password", s.accountPasswordData(p, u, ctx, "", msg))
	}
	cur, pw, confirm := r.PostForm.Get("current"), r.PostForm.Get("password"), r.PostForm.Get("confirm")
	if msg := manage.NewPasswordInputProblem(pw, confirm); msg != "" {
		again(http.StatusBadRequest, msg)
		return
	}
	// Guessing the current password from a signed-in browser counts against
	// the account like failed sign-ins (factors.Service.AccountGuard).
	err := s.factors.VerifyThrottled(ctx, s.factors.AccountGuard(ctx, p.tenant, u, u.Email), factors.PasswordCredential{Hash: u.PasswordHash, Password: cur})
	if factors.RefusedAttempt(w, r, s.pages, err, again) {
		return
	}
	if err != nil {
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.UserPasswordChangeFailed, UserID: u.ID, SessionID: sess.ID})
		again(http.StatusUnauthorized, "Your current password is not correct.")
		return
	}
	err = s.passwords.Change(ctx, p.tenant, u, pw, manage.PasswordChange{Voluntary: true, KeepSession: sess.ID, Via: "account"})
	if msg := manage.Rejection(err); msg != "" {
		again(http.StatusBadRequest, msg)
		return
	}
	if err != nil {
		s.pages.Unavailable(w, r, "account: change password", err)
		return
	}
	s.sensitiveDone(r, actPasswordChanged, "")
	s.renderAccount(w, http.StatusOK, "account", p, u, sess, "Your password was changed. Your other sessions were signed out.")
}

// tenantSettings is p's tenant's current settings (currentTenant).
func (s *Server) tenantSettings(ctx context.Context, p *tenantProvider) store.TenantSettings {
	return s.currentTenant(ctx, p).Settings
}
