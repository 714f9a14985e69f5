package idp

import (
	"context"
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

func (s *Server) expiredLogin(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusBadRequest, "Sign-in expired",
		"This sign-in request is unknown, finished or expired. Go back to your application and start again.")
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	ar, ok := s.loadPendingRequest(r, p, r.URL.Query().Get("id"))
	if !ok {
		s.expiredLogin(w, r)
		return
	}
	if s.trySSO(w, r, p, ar) {
		return
	}
	s.renderLogin(w, r, p, ar, http.StatusOK, ar.LoginHint, "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, p *tenantProvider, ar *store.AuthRequest, status int, email, errMsg string) {
	ctx := r.Context()
	d := &pageData{
		Title: "Sign in", TenantName: p.tenant.Name, Action: s.tenantURL(p.tenant.Slug) + "/login",
		AuthRequestID: ar.ID, Email: email, Error: errMsg,
	}
	if c, err := s.clients.Get(ctx, p.tenant.ID, ar.ClientID); err == nil {
		d.ClientName = c.Name
	}
	d.Connections, d.FormActions = s.loginButtons(ctx, p) // federation
	d.FormActions = append(d.FormActions, redirectOrigin(ar))
	d.Passkey = s.factors.PasskeySignIn(ctx, p.tenant) // passwordless (mfa_webauthn.go)
	d.ForgotURL = s.forgotURL(p, ar)                   // password_reset.go
	s.render(w, status, "login", d)
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
func (s *Server) trySSO(w http.ResponseWriter, r *http.Request, p *tenantProvider, ar *store.AuthRequest) bool {
	ctx := r.Context()
	now := s.clock()
	var sess *store.Session
	if got, err := s.sessions.Current(r, p.tenant); err == nil && got != nil {
		if u, err := s.store.UserByID(ctx, p.tenant.ID, got.UserID); err == nil && !u.Disabled {
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
		if u, err := s.store.UserByID(ctx, p.tenant.ID, sess.UserID); err == nil {
			if what, kind, err := s.blockedFrom(r, p, u); err != nil || what != "" {
				if err != nil {
					s.pages.Unavailable(w, r, "login: device and location blocks", err)
					return true
				}
				if err := s.sessions.End(ctx, p.tenant, sess, "blocked_"+kind); err != nil {
					s.log.Error("login: end blocked session", "tenant", p.tenant.Slug, "err", err)
				}
				s.sessions.ClearCookie(w, p.tenant)
				s.refuseBlocked(w, r, p, u, what, kind)
				return true
			}
		}
	}
	if usable {
		if err := s.sessions.Touch(ctx, p.tenant, sess); err != nil {
			usable = false
		}
	}
	if usable {
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.LoginSSO, UserID: sess.UserID, ClientID: ar.ClientID, SessionID: sess.ID})
		s.completeLogin(w, r, p, ar, sess)
		return true
	}
	if slices.Contains(ar.Prompt, oidc.PromptNone) {
		// OpenID Connect Core 3.1.2.6: no UI may be shown.
		s.op.LoginRequired(w, r, p.tenant, ar)
		return true
	}
	return false
}

func (s *Server) tenantSettings(ctx context.Context, p *tenantProvider) store.TenantSettings {
	return s.currentTenant(ctx, p).Settings
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	ar, ok := s.loadPendingRequest(r, p, r.PostForm.Get("id"))
	if !ok {
		s.expiredLogin(w, r)
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	pw := r.PostForm.Get("password")
	if email == "" || pw == "" || len(email) > web.MaxEmailLen || len(pw) > web.MaxPasswordLen {
		s.renderLogin(w, r, p, ar, http.StatusUnauthorized, web.Truncate(email, web.MaxEmailLen), failedLogin)
		return
	}
	// Unknown users, users without a password and disabled users cost the
	// same argon2id work and get the same answer as a wrong password.
	u, err := s.store.UserByEmail(ctx, p.tenant.ID, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.pages.Unavailable(w, r, "login: load user", err)
		return
	}
	hash := ""
	if u != nil && !u.Disabled {
		hash = u.PasswordHash
	}
	// The attempt is reserved against the brute-force counters before the
	// password is checked (factors.Service.SignInGuard).
	verr := s.factors.VerifyThrottled(ctx, s.factors.SignInGuard(ctx, p.tenant, u, email, ar.ClientID), factors.PasswordCredential{Hash: hash, Password: pw})
	if factors.RefusedAttempt(w, r, s.pages, verr, func(status int, msg string) { s.renderLogin(w, r, p, ar, status, email, msg) }) {
		return
	}
	if verr != nil || u == nil || u.Disabled {
		ev := &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.LoginPasswordFailed, ClientID: ar.ClientID}
		if u != nil {
			ev.UserID = u.ID
		}
		s.audit(ctx, ev)
		s.metrics.logins.WithLabelValues("password", "failed").Inc()
		s.renderLogin(w, r, p, ar, http.StatusUnauthorized, email, failedLogin)
		return
	}
	s.metrics.logins.WithLabelValues("password", "succeeded").Inc()
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.LoginPasswordSucceeded, UserID: u.ID, ClientID: ar.ClientID})
	if s.passwords.Expired(s.currentTenant(ctx, p), u) { // password_change.go: max age reached
		s.startExpiredChange(w, r, p, ar, u, []policy.Method{policy.MethodPassword})
		return
	}
	s.finishPrimary(w, r, p, ar, u, []policy.Method{policy.MethodPassword})
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
func (s *Server) finishPrimary(w http.ResponseWriter, r *http.Request, p *tenantProvider, ar *store.AuthRequest, u *store.User, methods []policy.Method, upstreamAMR ...string) {
	if !s.gate.Signin(w, r, s.currentTenant(r.Context(), p), "finish") { // no sign-in completes from outside the allowlist
		return
	}
	if s.blockedSignin(w, r, p, u) { // device_centre.go: blocked browser or location
		return
	}
	if s.secondFactorStep(w, r, p, ar, u, methods, upstreamAMR) {
		return
	}
	s.finishSignIn(w, r, p, ar, u, methods, upstreamAMR, 0)
}

// completeLogin marks the request done with the session's facts and sends the
// browser to zitadel's callback, which issues the code.
func (s *Server) completeLogin(w http.ResponseWriter, r *http.Request, p *tenantProvider, ar *store.AuthRequest, sess *store.Session) {
	now := s.clock()
	ar.UserID, ar.SessionID, ar.AuthTime, ar.AMR, ar.ACR = sess.UserID, sess.ID, sess.AuthTime, sess.AMR, sess.ACR
	ar.ExpiresAt = now.Add(session.AuthCodeTTL)
	if err := s.store.CompleteAuthRequest(r.Context(), ar, now); err != nil {
		s.expiredLogin(w, r)
		return
	}
	s.attachFederatedSession(r.Context(), p, ar, sess) // federation: remember the connection's sessions
	if ar.ClientID == tenant.AccountClientID {
		// Gatehouse's own account pages: no code, the session is the result,
		// and they are not an application the session signed into.
		http.Redirect(w, r, ar.RedirectURI, http.StatusFound)
		return
	}
	s.sessions.RecordClient(r.Context(), p.tenant, sess, ar.ClientID) // the sessions page and logout tokens
	http.Redirect(w, r, s.tenantURL(p.tenant.Slug)+"/authorize/callback?id="+ar.ID, http.StatusFound)
}
