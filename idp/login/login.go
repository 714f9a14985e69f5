package login

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/tenant"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The login transaction of one authorization request:
//
//	GET  /t/{tenant}/login?id=…  SSO if an active session fits the request,
//	                              prompt=none fails back to the app, else the form
//	POST /t/{tenant}/login        password -> session -> request complete
//
// A request is completed only here, after the session exists; zitadel's
// callback refuses requests that are not complete, so no code exists before
// the user authenticated, whatever URL is called first.

const failedLogin = "Incorrect email or password."

func (h *Handler) expiredLogin(w http.ResponseWriter, r *http.Request) {
	h.Pages.Error(w, http.StatusBadRequest, "Sign-in expired",
		"This sign-in request is unknown, finished or expired. Go back to your application and start again.")
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	ar, ok := h.loadPendingRequest(r, t, r.URL.Query().Get("id"))
	if !ok {
		h.expiredLogin(w, r)
		return
	}
	if h.trySSO(w, r, t, ar) {
		return
	}
	h.renderLogin(w, r, t, ar, http.StatusOK, ar.LoginHint, "")
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest, status int, email, errMsg string) {
	ctx := r.Context()
	d := &web.Page{
		Title: "Sign in", TenantName: t.Name, Action: h.tenantURL(t.Slug) + "/login",
		AuthRequestID: ar.ID, Email: email, Error: errMsg,
	}
	if c, err := h.Clients.Get(ctx, t.ID, ar.ClientID); err == nil {
		d.ClientName = c.Name
	}
	d.Connections, d.FormActions = h.loginButtons(ctx, t) // federation
	d.FormActions = append(d.FormActions, redirectOrigin(ar))
	d.Passkey = h.Factors.PasskeySignIn(ctx, t) // passwordless (mfa_webauthn.go)
	d.ForgotURL = h.forgotURL(t, ar)            // password_reset.go
	h.Pages.Render(w, status, "login", d)
}

// redirectOrigin is the origin the login transaction ends at: the app's
// registered (already validated) redirect URI. Browsers apply a page's CSP
// form-action to every redirect that follows a form POST, so a sign-in
// form must allow it, or the browser stops before the app gets its code.
func redirectOrigin(ar *store.AuthRequest) string {
	if ar.ClientID == tenant.AccountClientID {
		return ""
	}
	u, err := url.Parse(ar.RedirectURI)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// trySSO completes the request from the browser's existing session when the
// request allows it, or answers prompt=none. It reports whether it responded.
func (h *Handler) trySSO(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest) bool {
	ctx := r.Context()
	now := h.Clock()
	var sess *store.Session
	if got, err := h.Sessions.Current(r, t); err == nil && got != nil {
		if u, err := h.Store.UserByID(ctx, t.ID, got.UserID); err == nil && !u.Disabled {
			sess = got
		}
	}
	usable := sess != nil &&
		!slices.Contains(ar.Prompt, oidc.PromptLogin) &&
		// max_age: the authentication must be younger than max_age seconds
		// (so max_age=0 always re-authenticates, like prompt=login).
		(ar.MaxAge == nil || now.Sub(sess.AuthTime) < time.Duration(*ar.MaxAge)*time.Second) &&
		(ar.HintUserID == "" || ar.HintUserID == sess.UserID) &&
		!acrDemandsMFA(ar.ACRValues, sess.ACR) // step-up: a second factor first (mfa_login.go)
	if usable {
		// device_centre.go: a blocked browser or location gets no single
		// sign-on either, and its session ends.
		if u, err := h.Store.UserByID(ctx, t.ID, sess.UserID); err == nil {
			if what, kind, err := h.blockedFrom(r, t, u); err != nil || what != "" {
				if err != nil {
					h.Pages.Unavailable(w, r, "login: device and location blocks", err)
					return true
				}
				if err := h.Sessions.End(ctx, t, sess, "blocked_"+kind); err != nil {
					h.Log.Error("login: end blocked session", "tenant", t.Slug, "err", err)
				}
				h.Sessions.ClearCookie(w, t)
				h.refuseBlocked(w, r, t, u, what, kind)
				return true
			}
		}
	}
	if usable {
		if err := h.Sessions.Touch(ctx, t, sess); err != nil {
			usable = false
		}
	}
	if usable {
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.LoginSSO, UserID: sess.UserID, ClientID: ar.ClientID, SessionID: sess.ID})
		h.completeLogin(w, r, t, ar, sess)
		return true
	}
	if slices.Contains(ar.Prompt, oidc.PromptNone) {
		// OpenID Connect Core 3.1.2.6: no UI may be shown.
		h.LoginRequired(w, r, t, ar)
		return true
	}
	return false
}

func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
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
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	pw := r.PostForm.Get("password")
	if email == "" || pw == "" || len(email) > web.MaxEmailLen || len(pw) > web.MaxPasswordLen {
		h.renderLogin(w, r, t, ar, http.StatusUnauthorized, web.Truncate(email, web.MaxEmailLen), failedLogin)
		return
	}
	// Unknown users, users without a password and disabled users cost the
	// same argon2id work and get the same answer as a wrong password.
	u, err := h.Store.UserByEmail(ctx, t.ID, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.Pages.Unavailable(w, r, "login: load user", err)
		return
	}
	hash := ""
	if u != nil && !u.Disabled {
		hash = u.PasswordHash
	}
	// The attempt is reserved against the brute-force counters before the
	// password is checked (factors.Service.SignInGuard).
	verr := h.Factors.VerifyThrottled(ctx, h.Factors.SignInGuard(ctx, t, u, email, ar.ClientID), factors.PasswordCredential{Hash: hash, Password: pw})
	if factors.RefusedAttempt(w, r, h.Pages, verr, func(status int, msg string) { h.renderLogin(w, r, t, ar, status, email, msg) }) {
		return
	}
	if verr != nil || u == nil || u.Disabled {
		ev := &store.AuditEvent{TenantID: t.ID, Type: audit.LoginPasswordFailed, ClientID: ar.ClientID}
		if u != nil {
			ev.UserID = u.ID
		}
		h.audit(ctx, ev)
		h.Logins.WithLabelValues("password", "failed").Inc()
		h.renderLogin(w, r, t, ar, http.StatusUnauthorized, email, failedLogin)
		return
	}
	h.Logins.WithLabelValues("password", "succeeded").Inc()
	h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.LoginPasswordSucceeded, UserID: u.ID, ClientID: ar.ClientID})
	if h.Passwords.Expired(t, u) { // password_change.go: max age reached
		h.startExpiredChange(w, r, t, ar, u, []policy.Method{policy.MethodPassword})
		return
	}
	h.finishPrimary(w, r, t, ar, u, []policy.Method{policy.MethodPassword})
}

// finishPrimary runs the rest of the login transaction once a primary method
// (password, federation, later passkey) authenticated u: it starts the
// session and completes the request. Every primary method ends here, so the
// steps that follow primary authentication are enforced in one place.
// upstreamAMR (federation) is added to the amr claim; the acr comes from
// Gatehouse's own methods only.
//
// Second factor (mfa_login.go): when the tenant's policy or the request's
// acr_values require one, the transaction continues on /login/2fa and no
// session exists until it passed. A federated sign-in whose connection
// trusts the upstream's MFA claim passes policy.MethodUpstreamMFA in methods.
func (h *Handler) finishPrimary(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest, u *store.User, methods []policy.Method, upstreamAMR ...string) {
	if !h.Gate.Signin(w, r, t, "finish") { // no sign-in completes from outside the allowlist
		return
	}
	if h.blockedSignin(w, r, t, u) { // device_centre.go: blocked browser or location
		return
	}
	if h.secondFactorStep(w, r, t, ar, u, methods, upstreamAMR) {
		return
	}
	h.finishSignIn(w, r, t, ar, u, methods, upstreamAMR, 0)
}

// completeLogin marks the request done with the session's facts and sends the
// browser to zitadel's callback, which issues the code.
func (h *Handler) completeLogin(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest, sess *store.Session) {
	now := h.Clock()
	ar.UserID, ar.SessionID, ar.AuthTime, ar.AMR, ar.ACR = sess.UserID, sess.ID, sess.AuthTime, sess.AMR, sess.ACR
	ar.ExpiresAt = now.Add(session.AuthCodeTTL)
	if err := h.Store.CompleteAuthRequest(r.Context(), ar, now); err != nil {
		h.expiredLogin(w, r)
		return
	}
	h.attachFederatedSession(r.Context(), t, ar, sess) // federation: remember the connection's sessions
	if ar.ClientID == tenant.AccountClientID {
		// Gatehouse's own account pages: no code, the session is the result,
		// and they are not an application the session signed into.
		http.Redirect(w, r, ar.RedirectURI, http.StatusFound)
		return
	}
	h.Sessions.RecordClient(r.Context(), t, sess, ar.ClientID) // the sessions page and logout tokens
	http.Redirect(w, r, h.tenantURL(t.Slug)+"/authorize/callback?id="+ar.ID, http.StatusFound)
}
