package login

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

// webauthnStep starts a WebAuthn ceremony of a pending sign-in: the login
// state must be at step, and the tenant must allow passkeys. It answers the
// request itself (JSON error) when ok is false.
func (h *Handler) webauthnStep(w http.ResponseWriter, r *http.Request, t *store.Tenant, step string) (*store.LoginState, *store.User, bool) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		web.JSONError(w, http.StatusBadRequest, "bad form")
		return nil, nil, false
	}
	_, ok := h.loadPendingRequest(r, t, r.PostForm.Get("id"))
	st, err := h.Store.LoginState(ctx, t.ID, r.PostForm.Get("id"), h.Clock())
	if !ok || err != nil || st.Step != step || h.Factors.RP == nil {
		web.JSONError(w, http.StatusBadRequest, "This sign-in expired. Start again.")
		return nil, nil, false
	}
	u, err := h.Store.UserByID(ctx, t.ID, st.UserID)
	mp := h.Factors.TenantPolicy(ctx, t)
	// A passkey verifies whenever passkeys work here; enrolling one needs the
	// tenant to offer them, and a user who may still enrol at sign-in.
	if err != nil || (step == stepChallenge && !mp.CanVerify(store.FactorWebAuthn)) || (step == stepEnroll && !mp.Allows(store.FactorWebAuthn)) {
		web.JSONError(w, http.StatusBadRequest, "Passkeys are not available.")
		return nil, nil, false
	}
	if step == stepEnroll && !h.mayEnrolAtSignIn(w, r, t, u, "", true) {
		return nil, nil, false
	}
	return st, u, true
}

// ---- second factor ----

func (h *Handler) webauthnBegin(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	ctx := r.Context()
	st, u, ok := h.webauthnStep(w, r, t, stepChallenge)
	if !ok {
		return
	}
	opts, sess, err := h.Factors.BeginLogin(ctx, t.ID, u)
	if msg, ok := web.PublicText(err); ok {
		web.JSONError(w, http.StatusBadRequest, msg)
		return
	}
	if err != nil {
		web.JSONError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	if err := h.Factors.SaveCeremony(ctx, st, sess); err != nil {
		web.JSONError(w, http.StatusConflict, "This sign-in expired. Start again.")
		return
	}
	web.RawJSON(w, http.StatusOK, opts)
}

func (h *Handler) webauthnFinish(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	txn, ok := h.formTxn(w, r, t, stepChallenge)
	if !ok {
		return
	}
	ctx := r.Context()
	body, ok := factors.CredentialForm(r)
	if !ok || !txn.mp.CanVerify(store.FactorWebAuthn) {
		h.renderChallenge(w, r, t, txn, "", http.StatusBadRequest, "The passkey did not answer. Try again.", "")
		return
	}
	sess, err := h.Factors.TakeCeremony(ctx, txn.st)
	if err != nil {
		h.renderChallenge(w, r, t, txn, "", http.StatusBadRequest, "The passkey did not answer in time. Try again.", "")
		return
	}
	c, err := h.Factors.PasskeyCredential(ctx, t.ID, txn.u, sess, body)
	if err != nil {
		h.Pages.Unavailable(w, r, "webauthn user", err)
		return
	}
	err = h.Factors.VerifyThrottled(ctx, h.loginFactorGuard(t, txn), c)
	if h.factorRefused(w, r, t, txn, err) {
		return
	}
	if err != nil {
		h.factorFailed(r, t, txn, store.FactorWebAuthn, err)
		h.Factors.AuditClone(ctx, t.ID, txn.u.ID, err)
		h.Log.Info("login: passkey refused", "tenant", t.Slug, "user_id", txn.u.ID, "err", err)
		h.renderChallenge(w, r, t, txn, "", http.StatusUnauthorized, passkeyMessage(err), "")
		return
	}
	h.factorPassed(w, r, t, txn, policy.MethodWebAuthn, r.PostForm.Get("remember") == "on")
}

func passkeyMessage(err error) string {
	if errors.Is(err, mfawebauthn.ErrClonedAuthenticator) {
		return "This security key looks cloned and was refused. Contact your administrator."
	}
	return "The passkey could not be verified. Try again or choose another method."
}

// ---- registration of a first factor during sign-in ----

func (h *Handler) webauthnRegisterBegin(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	st, u, ok := h.webauthnStep(w, r, t, stepEnroll)
	if !ok {
		return
	}
	h.beginRegistration(w, r, u, st)
}

func (h *Handler) beginRegistration(w http.ResponseWriter, r *http.Request, u *store.User, st *store.LoginState) {
	ctx := r.Context()
	opts, sess, err := h.Factors.BeginRegistration(ctx, u.TenantID, u)
	if err != nil {
		web.JSONError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	if err := h.Factors.SaveCeremony(ctx, st, sess); err != nil {
		web.JSONError(w, http.StatusConflict, "This page expired. Reload it.")
		return
	}
	web.RawJSON(w, http.StatusOK, opts)
}

func (h *Handler) webauthnRegisterFinish(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	txn, ok := h.formTxn(w, r, t, stepEnroll)
	if !ok {
		return
	}
	ctx := r.Context()
	body, ok := factors.CredentialForm(r)
	if !ok || !txn.mp.Allows(store.FactorWebAuthn) {
		h.renderEnroll(w, r, t, txn, http.StatusBadRequest, "The passkey did not answer. Try again.", "")
		return
	}
	sess, err := h.Factors.TakeCeremony(ctx, txn.st)
	if err != nil {
		h.renderEnroll(w, r, t, txn, http.StatusBadRequest, "The passkey did not answer in time. Try again.", "")
		return
	}
	if _, err := h.Factors.FinishRegistration(ctx, t, txn.u, sess, body, r.PostForm.Get("name")); err != nil {
		h.factorFailed(r, t, txn, store.FactorWebAuthn, err)
		h.Log.Info("login: passkey registration refused", "tenant", t.Slug, "err", err)
		h.renderEnroll(w, r, t, txn, http.StatusBadRequest, "The passkey could not be registered. Try again.", "")
		return
	}
	h.enrolledInLogin(w, r, t, txn, policy.MethodWebAuthn)
}

// ---- passwordless sign-in ----

func (h *Handler) passkeyBegin(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		web.JSONError(w, http.StatusBadRequest, "bad form")
		return
	}
	ar, ok := h.loadPendingRequest(r, t, r.PostForm.Get("id"))
	if !ok || !h.Factors.PasskeySignIn(ctx, t) {
		web.JSONError(w, http.StatusBadRequest, "Passkey sign-in is not available.")
		return
	}
	opts, sess, err := h.Factors.BeginPasskeySignIn()
	if err != nil {
		web.JSONError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	data, err := sess.Marshal()
	if err != nil {
		web.JSONError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	now := h.Clock()
	if err := h.Store.PutLoginState(ctx, &store.LoginState{TenantID: t.ID, AuthRequestID: ar.ID, Step: stepPasskey,
		Ceremony: data, CreatedAt: now, ExpiresAt: ar.ExpiresAt}); err != nil {
		web.JSONError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	web.RawJSON(w, http.StatusOK, opts)
}

func (h *Handler) passkeyFinish(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	txn, ok := h.formTxn(w, r, t, stepPasskey)
	if !ok {
		return
	}
	ctx := r.Context()
	body, ok := factors.CredentialForm(r)
	if !ok {
		h.renderLogin(w, r, t, txn.ar, http.StatusBadRequest, "", "The passkey did not answer. Try again.")
		return
	}
	// The ceremony is used once: the state leaves the passkey step now.
	sess, err := mfawebauthn.UnmarshalSession(txn.st.Ceremony)
	txn.st.Step, txn.st.Ceremony = stepDone, nil
	if err != nil || h.Store.AdvanceLoginState(ctx, txn.st, stepPasskey) != nil {
		h.expiredLogin(w, r)
		return
	}
	owner, userVerified, err := h.Factors.FinishPasskeySignIn(ctx, t.ID, sess, body)
	if err != nil {
		ev := &store.AuditEvent{TenantID: t.ID, Type: audit.LoginPasskeyFailed, ClientID: txn.ar.ClientID}
		if owner != nil {
			ev.UserID = owner.ID
			h.Factors.AuditClone(ctx, t.ID, owner.ID, err)
		}
		h.audit(ctx, ev)
		h.Logins.WithLabelValues("passkey", "failed").Inc()
		h.Log.Info("login: passkey sign-in refused", "tenant", t.Slug, "err", err)
		h.renderLogin(w, r, t, txn.ar, http.StatusUnauthorized, "", passkeyMessage(err))
		return
	}
	m := policy.MethodWebAuthn
	if userVerified {
		m = policy.MethodPasskey
	}
	h.Logins.WithLabelValues("passkey", "succeeded").Inc()
	h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.LoginPasskeySucceeded, UserID: owner.ID, ClientID: txn.ar.ClientID})
	h.finishPrimary(w, r, t, txn.ar, owner, []policy.Method{m})
}
