package idp

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
func (s *Server) forgotURL(p *tenantProvider, ar *store.AuthRequest) string {
	if !s.mailer.CanSend() {
		return ""
	}
	return s.tenantURL(p.tenant.Slug) + "/login/forgot?id=" + url.QueryEscape(ar.ID)
}

// resetLinkTTL is how long a reset link works.
const resetLinkTTL = 30 * time.Minute

// maxResetMails bounds the reset links mailed to one account per
// resetLinkTTL, so the form cannot be used to flood a mailbox. Requests
// beyond it get the same answer and send nothing.
const maxResetMails = 3

// forgotAnswer is the page shown after any reset request.
const forgotAnswer = "If an account with a password exists for that address, we have sent it a link to choose a new password. The link works once, for 30 minutes. Check your inbox and spam folder."

func (s *Server) forgotData(p *tenantProvider, arID, email, errMsg string) *pageData {
	d := &pageData{Title: "Reset your password", TenantName: p.tenant.Name, Action: s.tenantURL(p.tenant.Slug) + "/login/forgot",
		AuthRequestID: arID, Email: email, Error: errMsg}
	if arID != "" {
		d.Back, d.BackLabel = s.tenantURL(p.tenant.Slug)+"/login?id="+arID, "Back to sign-in"
	}
	return d
}

func (s *Server) forgotPage(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	s.render(w, http.StatusOK, "forgot", s.forgotData(p, web.Truncate(r.URL.Query().Get("id"), 64), "", ""))
}

func (s *Server) forgotSubmit(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	arID := web.Truncate(r.PostForm.Get("id"), 64)
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	if err := manage.ValidEmail(email); err != nil {
		// Only the shape of the input decides this answer, never the account.
		s.render(w, http.StatusBadRequest, "forgot", s.forgotData(p, arID, web.Truncate(email, web.MaxEmailLen), err.Error()))
		return
	}
	u, err := s.store.UserByEmail(ctx, p.tenant.ID, email)
	switch {
	case err == nil && !u.Disabled && u.PasswordHash != "":
		s.sendResetLink(r, p, u)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		s.log.Error("forgot: load user", "tenant", p.tenant.Slug, "err", err)
	default:
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.PasswordResetUnknownEmail})
	}
	d := &pageData{Title: "Check your email", TenantName: p.tenant.Name, Message: forgotAnswer}
	if arID != "" {
		d.Back, d.BackLabel = s.tenantURL(p.tenant.Slug)+"/login?id="+arID, "Back to sign-in"
	}
	s.render(w, http.StatusOK, "message", d)
}

// sendResetLink creates a link for u and mails it (in the background).
func (s *Server) sendResetLink(r *http.Request, p *tenantProvider, u *store.User) {
	ctx := r.Context()
	now := s.clock()
	// Counted like sign-in failures (same table, own key), shared by replicas.
	c, err := s.store.RecordLoginFailure(ctx, p.tenant.ID, "reset:"+u.ID, now, resetLinkTTL)
	if err != nil {
		s.log.Error("forgot: count request", "tenant", p.tenant.Slug, "err", err)
		return
	}
	if c.Failures > maxResetMails {
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.PasswordResetSuppressed, UserID: u.ID,
			Detail: map[string]string{"requests": fmt.Sprint(c.Failures)}})
		return
	}
	token, err := seal.RandomToken(s.rand, 32)
	if err != nil {
		s.log.Error("forgot: token", "err", err)
		return
	}
	if err := s.store.CreateActionToken(ctx, &store.ActionToken{Hash: seal.HashToken(token), TenantID: p.tenant.ID,
		Kind: store.ActionPasswordReset, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(resetLinkTTL)}); err != nil {
		s.log.Error("forgot: store token", "tenant", p.tenant.Slug, "err", err)
		return
	}
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.PasswordResetRequested, UserID: u.ID})
	s.mailer.Notify(ctx, p.tenant, u, mailer.PasswordReset, map[string]any{
		"Link": s.tenantURL(p.tenant.Slug) + "/login/reset?token=" + token, "Minutes": int(resetLinkTTL.Minutes())})
}

func (s *Server) resetData(p *tenantProvider, token string, r *http.Request, errMsg string) *web.PasswordPage {
	return &web.PasswordPage{Page: web.Page{Title: "Choose a new password", TenantName: p.tenant.Name,
		Action: s.tenantURL(p.tenant.Slug) + "/login/reset", Token: token, Error: errMsg},
		Rules: manage.RulesText(manage.PasswordPolicy(s.tenantSettings(r.Context(), p))), AskCode: true}
}

func (s *Server) resetPage(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	token := r.URL.Query().Get("token")
	if token == "" || len(token) > 128 {
		s.resetLinkInvalid(w, r)
		return
	}
	s.renderPage(w, http.StatusOK, "password", s.resetData(p, token, r, ""))
}

func (s *Server) resetLinkInvalid(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusBadRequest, "Link not valid",
		"This password reset link is unknown, expired or was already used. Ask for a new one from the sign-in page.")
}

func (s *Server) resetSubmit(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	token := r.PostForm.Get("token")
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("confirm")
	if token == "" || len(token) > 128 {
		s.resetLinkInvalid(w, r)
		return
	}
	if msg := manage.NewPasswordInputProblem(pw, confirm); msg != "" {
		s.renderPage(w, http.StatusBadRequest, "password", s.resetData(p, token, r, msg))
		return
	}
	// Rules that do not depend on the account, before the link is spent.
	if err := manage.PasswordPolicy(s.tenantSettings(ctx, p)).Check(pw, []string{p.tenant.Name}); err != nil {
		if msg := manage.Rejection(err); msg != "" {
			s.renderPage(w, http.StatusBadRequest, "password", s.resetData(p, token, r, msg))
			return
		}
		s.pages.Unavailable(w, r, "reset: check password", err)
		return
	}
	now := s.clock()
	at, err := s.store.ConsumeActionToken(ctx, p.tenant.ID, store.ActionPasswordReset, seal.HashToken(token), now)
	if err != nil {
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.PasswordResetLinkRefused})
		s.resetLinkInvalid(w, r)
		return
	}
	u, err := s.store.UserByID(ctx, p.tenant.ID, at.UserID)
	if err != nil || u.Disabled {
		s.resetLinkInvalid(w, r)
		return
	}
	need, err := s.factors.ResetNeedsSecondFactor(ctx, p.tenant, u)
	if err != nil {
		s.pages.Unavailable(w, r, "reset: second factors", err)
		return
	}
	if need {
		ferr := s.factors.CheckResetFactor(ctx, p.tenant, u, r.PostForm.Get("code"))
		msg, status := resetFactorProblem(ferr)
		switch {
		case ferr == nil:
		case msg == "":
			s.pages.Unavailable(w, r, "reset: check second factor", ferr)
			return
		case status == http.StatusForbidden:
			s.renderError(w, r, status, "Second factor required", msg)
			return
		default:
			next, terr := s.reissueResetToken(r, p, at)
			if terr != nil {
				s.log.Error("reset: reissue token", "err", terr)
				s.resetLinkInvalid(w, r)
				return
			}
			s.renderPage(w, status, "password", s.resetData(p, next, r, msg))
			return
		}
	}
	err = s.passwords.Change(ctx, p.tenant, u, pw, manage.PasswordChange{Via: "reset"})
	if msg := manage.Rejection(err); msg != "" {
		next, terr := s.reissueResetToken(r, p, at)
		if terr != nil {
			s.log.Error("reset: reissue token", "err", terr)
			s.resetLinkInvalid(w, r)
			return
		}
		s.renderPage(w, http.StatusBadRequest, "password", s.resetData(p, next, r, msg))
		return
	}
	if err != nil {
		s.pages.Unavailable(w, r, "reset: change password", err)
		return
	}
	// Proving the mailbox ends a brute-force lock on the account.
	if _, err := s.factors.ClearFailures(ctx, p.tenant.ID, u, u.Email); err != nil {
		s.log.Error("reset: clear failures", "err", err)
	}
	s.render(w, http.StatusOK, "message", &pageData{Title: "Password changed", TenantName: p.tenant.Name,
		Message: "Your password was changed and your sessions were signed out. Go back to your application and sign in with the new password."})
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
func (s *Server) reissueResetToken(r *http.Request, p *tenantProvider, spent *store.ActionToken) (string, error) {
	token, err := seal.RandomToken(s.rand, 32)
	if err != nil {
		return "", err
	}
	err = s.store.CreateActionToken(r.Context(), &store.ActionToken{Hash: seal.HashToken(token), TenantID: p.tenant.ID,
		Kind: store.ActionPasswordReset, UserID: spent.UserID, CreatedAt: s.clock(), ExpiresAt: spent.ExpiresAt})
	return token, err
}
