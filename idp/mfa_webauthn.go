package idp

import (
	"errors"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
	mfawebauthn "github.com/gatehouse-idp/gatehouse/mfa/webauthn"
)

// Passkeys and security keys (go-webauthn via mfa/webauthn):
//
//	POST /login/2fa/webauthn/begin            options for the second factor (JSON)
//	POST /login/2fa/webauthn/finish           form: id, credential (JSON) -> session
//	POST /login/2fa/webauthn/register/begin   options to register a first factor
//	POST /login/2fa/webauthn/register/finish  form: id, credential, name
//	POST /login/passkey/begin                 passwordless: discoverable options
//	POST /login/passkey/finish                form: id, credential -> finishPrimary
//
// Begin stores the ceremony in the login state; finish takes it from there
// (a ceremony is single-use) and the browser posts the result as an
// ordinary form, so the rest of the transaction is the same redirects as a
// typed code. static/webauthn.js does the navigator.credentials part; the
// ceremonies themselves are factors.Service's.

// writeRawJSON writes JSON that is already encoded (WebAuthn options).
func writeRawJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	web.JSON(w, status, map[string]string{"error": msg})
}

// webauthnStep starts a WebAuthn ceremony of a pending sign-in: the login
// state must be at step, and the tenant must allow passkeys. It answers the
// request itself (JSON error) when ok is false.
func (s *Server) webauthnStep(w http.ResponseWriter, r *http.Request, p *tenantProvider, step string) (*store.LoginState, *store.User, bool) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		jsonError(w, http.StatusBadRequest, "bad form")
		return nil, nil, false
	}
	_, ok := s.loadPendingRequest(r, p, r.PostForm.Get("id"))
	st, err := s.store.LoginState(ctx, p.tenant.ID, r.PostForm.Get("id"), s.clock())
	if !ok || err != nil || st.Step != step || s.factors.RP == nil {
		jsonError(w, http.StatusBadRequest, "This sign-in expired. Start again.")
		return nil, nil, false
	}
	u, err := s.store.UserByID(ctx, p.tenant.ID, st.UserID)
	mp := s.factors.TenantPolicy(ctx, p.tenant)
	// A passkey verifies whenever passkeys work here; enrolling one needs the
	// tenant to offer them, and a user who may still enrol at sign-in.
	if err != nil || (step == stepChallenge && !mp.CanVerify(store.FactorWebAuthn)) || (step == stepEnroll && !mp.Allows(store.FactorWebAuthn)) {
		jsonError(w, http.StatusBadRequest, "Passkeys are not available.")
		return nil, nil, false
	}
	if step == stepEnroll && !s.mayEnrolAtSignIn(w, r, p, u, "", true) {
		return nil, nil, false
	}
	return st, u, true
}

// ---- second factor ----

func (s *Server) webauthnBegin(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	ctx := r.Context()
	st, u, ok := s.webauthnStep(w, r, p, stepChallenge)
	if !ok {
		return
	}
	opts, sess, err := s.factors.BeginLogin(ctx, p.tenant.ID, u)
	if msg, ok := web.PublicText(err); ok {
		jsonError(w, http.StatusBadRequest, msg)
		return
	}
	if err != nil {
		jsonError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	if err := s.factors.SaveCeremony(ctx, st, sess); err != nil {
		jsonError(w, http.StatusConflict, "This sign-in expired. Start again.")
		return
	}
	writeRawJSON(w, http.StatusOK, opts)
}

func (s *Server) webauthnFinish(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.formTxn(w, r, p, stepChallenge)
	if !ok {
		return
	}
	ctx := r.Context()
	body, ok := factors.CredentialForm(r)
	if !ok || !txn.mp.CanVerify(store.FactorWebAuthn) {
		s.renderChallenge(w, r, p, txn, "", http.StatusBadRequest, "The passkey did not answer. Try again.", "")
		return
	}
	sess, err := s.factors.TakeCeremony(ctx, txn.st)
	if err != nil {
		s.renderChallenge(w, r, p, txn, "", http.StatusBadRequest, "The passkey did not answer in time. Try again.", "")
		return
	}
	c, err := s.factors.PasskeyCredential(ctx, p.tenant.ID, txn.u, sess, body)
	if err != nil {
		s.pages.Unavailable(w, r, "webauthn user", err)
		return
	}
	err = s.factors.VerifyThrottled(ctx, s.loginFactorGuard(p, txn), c)
	if s.factorRefused(w, r, p, txn, err) {
		return
	}
	if err != nil {
		s.factorFailed(r, p, txn, store.FactorWebAuthn, err)
		s.factors.AuditClone(ctx, p.tenant.ID, txn.u.ID, err)
		s.log.Info("login: passkey refused", "tenant", p.tenant.Slug, "user_id", txn.u.ID, "err", err)
		s.renderChallenge(w, r, p, txn, "", http.StatusUnauthorized, passkeyMessage(err), "")
		return
	}
	s.factorPassed(w, r, p, txn, policy.MethodWebAuthn, r.PostForm.Get("remember") == "on")
}

func passkeyMessage(err error) string {
	if errors.Is(err, mfawebauthn.ErrClonedAuthenticator) {
		return "This security key looks cloned and was refused. Contact your administrator."
	}
	return "The passkey could not be verified. Try again or choose another method."
}

// ---- registration of a first factor during sign-in ----

func (s *Server) webauthnRegisterBegin(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	st, u, ok := s.webauthnStep(w, r, p, stepEnroll)
	if !ok {
		return
	}
	s.beginRegistration(w, r, u, st)
}

func (s *Server) beginRegistration(w http.ResponseWriter, r *http.Request, u *store.User, st *store.LoginState) {
	ctx := r.Context()
	opts, sess, err := s.factors.BeginRegistration(ctx, u.TenantID, u)
	if err != nil {
		jsonError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	if err := s.factors.SaveCeremony(ctx, st, sess); err != nil {
		jsonError(w, http.StatusConflict, "This page expired. Reload it.")
		return
	}
	writeRawJSON(w, http.StatusOK, opts)
}

func (s *Server) webauthnRegisterFinish(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.formTxn(w, r, p, stepEnroll)
	if !ok {
		return
	}
	ctx := r.Context()
	body, ok := factors.CredentialForm(r)
	if !ok || !txn.mp.Allows(store.FactorWebAuthn) {
		s.renderEnroll(w, r, p, txn, http.StatusBadRequest, "The passkey did not answer. Try again.", "")
		return
	}
	sess, err := s.factors.TakeCeremony(ctx, txn.st)
	if err != nil {
		s.renderEnroll(w, r, p, txn, http.StatusBadRequest, "The passkey did not answer in time. Try again.", "")
		return
	}
	if _, err := s.factors.FinishRegistration(ctx, p.tenant, txn.u, sess, body, r.PostForm.Get("name")); err != nil {
		s.factorFailed(r, p, txn, store.FactorWebAuthn, err)
		s.log.Info("login: passkey registration refused", "tenant", p.tenant.Slug, "err", err)
		s.renderEnroll(w, r, p, txn, http.StatusBadRequest, "The passkey could not be registered. Try again.", "")
		return
	}
	s.enrolledInLogin(w, r, p, txn, policy.MethodWebAuthn)
}

// ---- passwordless sign-in ----

func (s *Server) passkeyBegin(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		jsonError(w, http.StatusBadRequest, "bad form")
		return
	}
	ar, ok := s.loadPendingRequest(r, p, r.PostForm.Get("id"))
	if !ok || !s.factors.PasskeySignIn(ctx, p.tenant) {
		jsonError(w, http.StatusBadRequest, "Passkey sign-in is not available.")
		return
	}
	opts, sess, err := s.factors.BeginPasskeySignIn()
	if err != nil {
		jsonError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	data, err := sess.Marshal()
	if err != nil {
		jsonError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	now := s.clock()
	if err := s.store.PutLoginState(ctx, &store.LoginState{TenantID: p.tenant.ID, AuthRequestID: ar.ID, Step: stepPasskey,
		Ceremony: data, CreatedAt: now, ExpiresAt: ar.ExpiresAt}); err != nil {
		jsonError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	writeRawJSON(w, http.StatusOK, opts)
}

func (s *Server) passkeyFinish(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.formTxn(w, r, p, stepPasskey)
	if !ok {
		return
	}
	ctx := r.Context()
	body, ok := factors.CredentialForm(r)
	if !ok {
		s.renderLogin(w, r, p, txn.ar, http.StatusBadRequest, "", "The passkey did not answer. Try again.")
		return
	}
	// The ceremony is used once: the state leaves the passkey step now.
	sess, err := mfawebauthn.UnmarshalSession(txn.st.Ceremony)
	txn.st.Step, txn.st.Ceremony = stepDone, nil
	if err != nil || s.store.AdvanceLoginState(ctx, txn.st, stepPasskey) != nil {
		s.expiredLogin(w, r)
		return
	}
	owner, userVerified, err := s.factors.FinishPasskeySignIn(ctx, p.tenant.ID, sess, body)
	if err != nil {
		ev := &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.LoginPasskeyFailed, ClientID: txn.ar.ClientID}
		if owner != nil {
			ev.UserID = owner.ID
			s.factors.AuditClone(ctx, p.tenant.ID, owner.ID, err)
		}
		s.audit(ctx, ev)
		s.metrics.logins.WithLabelValues("passkey", "failed").Inc()
		s.log.Info("login: passkey sign-in refused", "tenant", p.tenant.Slug, "err", err)
		s.renderLogin(w, r, p, txn.ar, http.StatusUnauthorized, "", passkeyMessage(err))
		return
	}
	m := policy.MethodWebAuthn
	if userVerified {
		m = policy.MethodPasskey
	}
	s.metrics.logins.WithLabelValues("passkey", "succeeded").Inc()
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.LoginPasskeySucceeded, UserID: owner.ID, ClientID: txn.ar.ClientID})
	s.finishPrimary(w, r, p, txn.ar, owner, []policy.Method{m})
}
