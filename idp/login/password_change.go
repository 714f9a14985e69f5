package login

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The expired-password step of sign-in (the account's own password page is
// idp/account's).
//
// The expired step sits between the primary method and finishPrimary: the
// user proved the old password, so the step asks only for a new one. Its
// form carries a step value binding the auth request, the user and a
// deadline under a MAC keyed from the master key; the request itself must
// still be pending, so once the sign-in completes the value is worthless.

func (h *Handler) stepMAC(payload string) string {
	m := hmac.New(sha256.New, h.Sealer.Derive("gatehouse/password-step/v1"))
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// stepValue binds the expired-password step to the request and the user.
func (h *Handler) stepValue(tenantID, arID, userID string, exp time.Time) string {
	payload := tenantID + "." + arID + "." + userID + "." + strconv.FormatInt(exp.Unix(), 10)
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + h.stepMAC(payload)
}

// checkStep returns the user id the step value was issued for.
func (h *Handler) checkStep(v, tenantID, arID string) (string, bool) {
	enc, mac, ok := strings.Cut(v, ".")
	if !ok || len(v) > 512 {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", false
	}
	payload := string(raw)
	if !hmac.Equal([]byte(mac), []byte(h.stepMAC(payload))) {
		return "", false
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 4 || parts[0] != tenantID || parts[1] != arID {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || !h.Clock().Before(time.Unix(exp, 0)) {
		return "", false
	}
	return parts[2], true
}

// startExpiredChange shows the "choose a new password" step instead of
// completing the sign-in.
func (h *Handler) startExpiredChange(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest, u *store.User, _ []policy.Method) {
	h.audit(r.Context(), &store.AuditEvent{TenantID: t.ID, Type: audit.LoginPasswordExpired, UserID: u.ID, ClientID: ar.ClientID})
	step := h.stepValue(t.ID, ar.ID, u.ID, h.Clock().Add(stepTTL))
	h.renderExpired(w, r.Context(), t, ar, u.Email, step, http.StatusOK, "")
}

func (h *Handler) renderExpired(w http.ResponseWriter, ctx context.Context, t *store.Tenant, ar *store.AuthRequest, email, step string, status int, errMsg string) {
	d := &web.PasswordPage{Page: web.Page{Title: "Choose a new password", TenantName: t.Name,
		Action: h.tenantURL(t.Slug) + "/login/password-change", AuthRequestID: ar.ID, Email: email, Error: errMsg,
		Message: "Your password has expired. Choose a new one to finish signing in."},
		Step: step, Rules: manage.RulesText(manage.PasswordPolicy(t.Settings))}
	h.Pages.Render(w, status, "password", d)
}

// expiredChangeSubmit saves the new password and finishes the sign-in.
func (h *Handler) expiredChangeSubmit(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.Pages.Error(w, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	ar, ok := h.loadPendingRequest(r, t, r.PostForm.Get("id"))
	if !ok {
		h.expiredLogin(w, r)
		return
	}
	step := r.PostForm.Get("step")
	uid, ok := h.checkStep(step, t.ID, ar.ID)
	if !ok {
		h.Pages.Error(w, http.StatusBadRequest, "Sign-in expired", "This step expired. Go back to your application and sign in again.")
		return
	}
	u, err := h.Store.UserByID(ctx, t.ID, uid)
	if err != nil || u.Disabled {
		h.expiredLogin(w, r)
		return
	}
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("confirm")
	if msg := manage.NewPasswordInputProblem(pw, confirm); msg != "" {
		h.renderExpired(w, ctx, t, ar, u.Email, step, http.StatusBadRequest, msg)
		return
	}
	err = h.Passwords.Change(ctx, t, u, pw, manage.PasswordChange{Via: "expired"})
	if msg := manage.Rejection(err); msg != "" {
		h.renderExpired(w, ctx, t, ar, u.Email, step, http.StatusBadRequest, msg)
		return
	}
	if err != nil {
		h.Pages.Unavailable(w, r, "expired password: change", err)
		return
	}
	h.finishPrimary(w, r, t, ar, u, []policy.Method{policy.MethodPassword})
}

// stepTTL bounds the expired-password step of a sign-in.
const stepTTL = 10 * time.Minute
