package account

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The account page /t/{tenant}/account/password: a signed-in user changes
// their password (behind the sensitive guard). The expired-password step
// of sign-in is idp/login's.

func (h *Handler) accountPasswordData(t *store.Tenant, u *store.User, status string, errMsg string) *web.PasswordPage {
	base := h.TenantURL(t.Slug) + "/account"
	return &web.PasswordPage{Page: web.Page{Title: "Change your password", TenantName: t.Name, Action: base + "/password",
		Email: u.Email, Error: errMsg, Message: status, Back: base, BackLabel: "Back to your account"},
		NeedCurrent: true, Rules: manage.RulesText(manage.PasswordPolicy(t.Settings))}
}

func (h *Handler) accountPasswordPage(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	u, _, ok := h.accountUser(w, r, t)
	if !ok {
		return
	}
	h.Pages.Render(w, http.StatusOK, "password", h.accountPasswordData(t, u, "", ""))
}

func (h *Handler) accountPasswordSubmit(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	ctx := r.Context()
	u, sess, ok := h.accountUser(w, r, t)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.Pages.Error(w, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	again := func(status int, msg string) {
		h.Pages.Render(w, status, "password", h.accountPasswordData(t, u, "", msg))
	}
	cur, pw, confirm := r.PostForm.Get("current"), r.PostForm.Get("password"), r.PostForm.Get("confirm")
	if msg := manage.NewPasswordInputProblem(pw, confirm); msg != "" {
		again(http.StatusBadRequest, msg)
		return
	}
	// Guessing the current password from a signed-in browser counts against
	// the account like failed sign-ins (factors.Service.AccountGuard).
	err := h.Factors.VerifyThrottled(ctx, h.Factors.AccountGuard(ctx, t, u, u.Email), factors.PasswordCredential{Hash: u.PasswordHash, Password: cur})
	if factors.RefusedAttempt(w, r, h.Pages, err, again) {
		return
	}
	if err != nil {
		h.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.UserPasswordChangeFailed, UserID: u.ID, SessionID: sess.ID})
		again(http.StatusUnauthorized, "Your current password is not correct.")
		return
	}
	err = h.Passwords.Change(ctx, t, u, pw, manage.PasswordChange{Voluntary: true, KeepSession: sess.ID, Via: "account"})
	if msg := manage.Rejection(err); msg != "" {
		again(http.StatusBadRequest, msg)
		return
	}
	if err != nil {
		h.Pages.Unavailable(w, r, "account: change password", err)
		return
	}
	h.sensitiveDone(r, actPasswordChanged, "")
	// 303 to the account page: refreshing it shows the page, never posts again.
	http.Redirect(w, r, h.TenantURL(t.Slug)+"/account?done=password", http.StatusSeeOther)
}
