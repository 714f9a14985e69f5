package login

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Password reset by email link:
//
//	GET/POST /t/{tenant}/login/forgot   ask for a link (same answer for every address)
//	GET/POST /t/{tenant}/login/reset    choose the new password
//
// A link is an action token of kind password_reset: random, stored as its
// SHA-256, bound to the user, valid 30 minutes, consumed by one conditional
// UPDATE. The form is checked against the length and blocklist rules before
// the link is spent; if the user-specific rules (name, history) then refuse
// the password, the page carries a fresh single-use token for the rest of
// the original link's lifetime, so each token still works exactly once.
//
// Second factor: when the tenant does not allow a reset without a second
// factor (PasswordResetWithoutSecondFactor false, the default) a user who
// has one must pass it before the new password is saved
// (factors.Service.ResetNeedsSecondFactor and CheckResetFactor).

// forgotURL is the login page's "Forgot password?" link; "" when no email
// sender is configured (a link could never arrive).
func (h *Handler) forgotURL(t *store.Tenant, ar *store.AuthRequest) string {
	if !h.Mailer.CanSend() {
		return ""
	}
	return h.tenantURL(t.Slug) + "/login/forgot?id=" + url.QueryEscape(ar.ID)
}

// resetLinkTTL is how long a reset link works.
const resetLinkTTL = 30 * time.Minute

// maxResetMails bounds the reset links mailed to one account per
// resetLinkTTL, so the form cannot be used to flood a mailbox. Requests
// beyond it get the same answer and send nothing.
const maxResetMails = 3

// forgotAnswer is the page shown after any reset request.
const forgotAnswer = "If an account with a password exists for that address, we have sent it a link to choose a new password. The link works once, for 30 minutes. Check your inbox and spam folder."

func (h *Handler) forgotData(t *store.Tenant, arID, email, errMsg string) *web.Page {
	d := &web.Page{Title: "Reset your password", TenantName: t.Name, Action: h.tenantURL(t.Slug) + "/login/forgot",
		AuthRequestID: arID, Email: email, Error: errMsg}
	if arID != "" {
		d.Back, d.BackLabel = h.tenantURL(t.Slug)+"/login?id="+arID, "Back to sign-in"
	}
	return d
}

func (h *Handler) forgotPage(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	h.Pages.Render(w, http.StatusOK, "forgot", h.forgotData(t, web.Truncate(r.URL.Query().Get("id"), 64), "", ""))
}

func (h *Handler) forgotSubmit(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.Pages.Error(w, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	arID := web.Truncate(r.PostForm.Get("id"), 64)
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	if err := manage.ValidEmail(email); err != nil {
		// Only the shape of the input decides this answer, never the account.
		h.Pages.Render(w, http.StatusBadRequest, "forgot", h.forgotData(t, arID, web.Truncate(email, web.MaxEmailLen), err.Error()))
		return
	}
	u, err := h.Store.UserByEmail(ctx, t.ID, email)
	switch {
	case err == nil && !u.Disabled && u.PasswordHash != "":
		h.sendResetLink(r, t, u)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		h.Log.Error("forgot: load user", "tenant", t.Slug, "err", err)
	default:
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.PasswordResetUnknownEmail})
	}
	d := &web.Page{Title: "Check your email", TenantName: t.Name, Message: forgotAnswer}
	if arID != "" {
		d.Back, d.BackLabel = h.tenantURL(t.Slug)+"/login?id="+arID, "Back to sign-in"
	}
	h.Pages.Render(w, http.StatusOK, "message", d)
}

// sendResetLink creates a link for u and mails it (in the background).
func (h *Handler) sendResetLink(r *http.Request, t *store.Tenant, u *store.User) {
	ctx := r.Context()
	now := h.Clock()
	// Counted like sign-in failures (same table, own key), shared by replicas.
	c, err := h.Store.RecordLoginFailure(ctx, t.ID, "reset:"+u.ID, now, resetLinkTTL)
	if err != nil {
		h.Log.Error("forgot: count request", "tenant", t.Slug, "err", err)
		return
	}
	if c.Failures > maxResetMails {
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.PasswordResetSuppressed, UserID: u.ID,
			Detail: map[string]string{"requests": fmt.Sprint(c.Failures)}})
		return
	}
	token, err := seal.RandomToken(h.Rand, 32)
	if err != nil {
		h.Log.Error("forgot: token", "err", err)
		return
	}
	if err := h.Store.CreateActionToken(ctx, &store.ActionToken{Hash: seal.HashToken(token), TenantID: t.ID,
		Kind: store.ActionPasswordReset, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(resetLinkTTL)}); err != nil {
		h.Log.Error("forgot: store token", "tenant", t.Slug, "err", err)
		return
	}
	h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.PasswordResetRequested, UserID: u.ID})
	h.Mailer.Notify(ctx, t, u, mailer.PasswordReset, map[string]any{
		"Link": h.tenantURL(t.Slug) + "/login/reset?token=" + token, "Minutes": int(resetLinkTTL.Minutes())})
}

func (h *Handler) resetData(t *store.Tenant, token string, r *http.Request, errMsg string) *web.PasswordPage {
	return &web.PasswordPage{Page: web.Page{Title: "Choose a new password", TenantName: t.Name,
		Action: h.tenantURL(t.Slug) + "/login/reset", Token: token, Error: errMsg},
		Rules: manage.RulesText(manage.PasswordPolicy(t.Settings)), AskCode: true}
}

func (h *Handler) resetPage(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	token := r.URL.Query().Get("token")
	if token == "" || len(token) > 128 {
		h.resetLinkInvalid(w, r)
		return
	}
	h.Pages.Render(w, http.StatusOK, "password", h.resetData(t, token, r, ""))
}

func (h *Handler) resetLinkInvalid(w http.ResponseWriter, r *http.Request) {
	h.Pages.Error(w, http.StatusBadRequest, "Link not valid",
		"This password reset link is unknown, expired or was already used. Ask for a new one from the sign-in page.")
}

func (h *Handler) resetSubmit(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.Pages.Error(w, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	token := r.PostForm.Get("token")
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("confirm")
	if token == "" || len(token) > 128 {
		h.resetLinkInvalid(w, r)
		return
	}
	if msg := manage.NewPasswordInputProblem(pw, confirm); msg != "" {
		h.Pages.Render(w, http.StatusBadRequest, "password", h.resetData(t, token, r, msg))
		return
	}
	// Rules that do not depend on the account, before the link is spent.
	if err := manage.PasswordPolicy(t.Settings).Check(pw, []string{t.Name}); err != nil {
		if msg := manage.Rejection(err); msg != "" {
			h.Pages.Render(w, http.StatusBadRequest, "password", h.resetData(t, token, r, msg))
			return
		}
		h.Pages.Unavailable(w, r, "reset: check password", err)
		return
	}
	now := h.Clock()
	at, err := h.Store.ConsumeActionToken(ctx, t.ID, store.ActionPasswordReset, seal.HashToken(token), now)
	if err != nil {
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.PasswordResetLinkRefused})
		h.resetLinkInvalid(w, r)
		return
	}
	u, err := h.Store.UserByID(ctx, t.ID, at.UserID)
	if err != nil || u.Disabled {
		h.resetLinkInvalid(w, r)
		return
	}
	need, err := h.Factors.ResetNeedsSecondFactor(ctx, t, u)
	if err != nil {
		h.Pages.Unavailable(w, r, "reset: second factors", err)
		return
	}
	if need {
		ferr := h.Factors.CheckResetFactor(ctx, t, u, r.PostForm.Get("code"))
		msg, status := resetFactorProblem(ferr)
		switch {
		case ferr == nil:
		case msg == "":
			h.Pages.Unavailable(w, r, "reset: check second factor", ferr)
			return
		case status == http.StatusForbidden:
			h.Pages.Error(w, status, "Second factor required", msg)
			return
		default:
			next, terr := h.reissueResetToken(r, t, at)
			if terr != nil {
				h.Log.Error("reset: reissue token", "err", terr)
				h.resetLinkInvalid(w, r)
				return
			}
			h.Pages.Render(w, status, "password", h.resetData(t, next, r, msg))
			return
		}
	}
	err = h.Passwords.Change(ctx, t, u, pw, manage.PasswordChange{Via: "reset"})
	if msg := manage.Rejection(err); msg != "" {
		next, terr := h.reissueResetToken(r, t, at)
		if terr != nil {
			h.Log.Error("reset: reissue token", "err", terr)
			h.resetLinkInvalid(w, r)
			return
		}
		h.Pages.Render(w, http.StatusBadRequest, "password", h.resetData(t, next, r, msg))
		return
	}
	if err != nil {
		h.Pages.Unavailable(w, r, "reset: change password", err)
		return
	}
	// Proving the mailbox ends a brute-force lock on the account.
	if _, err := h.Factors.ClearFailures(ctx, t.ID, u, u.Email); err != nil {
		h.Log.Error("reset: clear failures", "err", err)
	}
	h.Pages.Render(w, http.StatusOK, "message", &web.Page{Title: "Password changed", TenantName: t.Name,
		Message: "Your password was changed and your sessions were signed out. Go back to your application and sign in with the new password.",
		Back:    h.tenantURL(t.Slug) + "/account", BackLabel: "Sign in"})
}

// resetFactorProblem is the text and status to show for a CheckResetFactor
// error, or "" for none to show (nil, or an internal failure).
func resetFactorProblem(err error) (string, int) {
	msg, ok := web.PublicText(err)
	switch {
	case !ok:
		return "", 0
	case errors.Is(err, factors.ErrResetNoUsableFactor):
		return msg, http.StatusForbidden
	case errors.As(err, new(*factors.ThrottledError)):
		return msg, http.StatusTooManyRequests
	}
	return msg, http.StatusBadRequest
}

// reissueResetToken gives the form a new single-use token for the rest of
// the spent link's lifetime.
func (h *Handler) reissueResetToken(r *http.Request, t *store.Tenant, spent *store.ActionToken) (string, error) {
	token, err := seal.RandomToken(h.Rand, 32)
	if err != nil {
		return "", err
	}
	err = h.Store.CreateActionToken(r.Context(), &store.ActionToken{Hash: seal.HashToken(token), TenantID: t.ID,
		Kind: store.ActionPasswordReset, UserID: spent.UserID, CreatedAt: h.Clock(), ExpiresAt: spent.ExpiresAt})
	return token, err
}
