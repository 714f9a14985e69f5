package idp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
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
// typed code. static/webauthn.js does the navigator.credentials part.

// maxCredentialJSON bounds a posted WebAuthn response.
const maxCredentialJSON = 16 << 10

// webauthnUser is the user as the authenticator sees it, with their
// registered credentials.
func (s *Server) webauthnUser(ctx context.Context, tenantID string, u *store.User) (mfawebauthn.User, map[string]*store.Factor, error) {
	wu := mfawebauthn.User{Name: u.Email, DisplayName: u.Name}
	byCred := map[string]*store.Factor{}
	all, err := s.store.ListFactors(ctx, tenantID, u.ID)
	if err != nil {
		return wu, nil, err
	}
	for _, f := range all {
		if f.Kind != store.FactorWebAuthn || !f.Verified {
			continue
		}
		var c mfawebauthn.Credential
		if err := json.Unmarshal(f.Credential, &c); err != nil {
			return wu, nil, err
		}
		c.SignCount = f.SignCount
		wu.Credentials = append(wu.Credentials, c)
		wu.Handle = f.UserHandle
		byCred[string(f.CredentialID)] = f
	}
	if wu.Handle == nil {
		if wu.Handle, err = mfawebauthn.NewUserHandle(s.rand); err != nil {
			return wu, nil, err
		}
	}
	return wu, byCred, nil
}

// saveCeremony keeps a ceremony in the login state (same step).
func (s *Server) saveCeremony(ctx context.Context, st *store.LoginState, sess *mfawebauthn.Session) error {
	data, err := sess.Marshal()
	if err != nil {
		return err
	}
	st.Ceremony = data
	return s.store.AdvanceLoginState(ctx, st, st.Step)
}

// takeCeremony removes the ceremony from the state and returns it.
func (s *Server) takeCeremony(ctx context.Context, st *store.LoginState) (*mfawebauthn.Session, error) {
	if len(st.Ceremony) == 0 {
		return nil, store.ErrNotFound
	}
	sess, err := mfawebauthn.UnmarshalSession(st.Ceremony)
	if err != nil {
		return nil, err
	}
	st.Ceremony = nil
	if err := s.store.AdvanceLoginState(ctx, st, st.Step); err != nil {
		return nil, err
	}
	return sess, nil
}

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

// credentialForm reads the posted WebAuthn response.
func credentialForm(r *http.Request) ([]byte, bool) {
	c := r.PostForm.Get("credential")
	if c == "" || len(c) > maxCredentialJSON {
		return nil, false
	}
	return []byte(c), true
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
	if !ok || err != nil || st.Step != step || s.mfa.rp == nil {
		jsonError(w, http.StatusBadRequest, "This sign-in expired. Start again.")
		return nil, nil, false
	}
	u, err := s.store.UserByID(ctx, p.tenant.ID, st.UserID)
	mp := s.mfaPolicy(s.tenantSettings(ctx, p))
	// A passkey verifies whenever passkeys work here; enrolling one needs the
	// tenant to offer them, and a user who may still enrol at sign-in.
	if err != nil || (step == stepChallenge && !mp.canVerify(store.FactorWebAuthn)) || (step == stepEnroll && !mp.allows(store.FactorWebAuthn)) {
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
	wu, _, err := s.webauthnUser(ctx, p.tenant.ID, u)
	if err != nil {
		jsonError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	opts, sess, err := s.mfa.rp.BeginLogin(wu)
	if err != nil {
		jsonError(w, http.StatusBadRequest, "You have no passkey. Choose another method.")
		return
	}
	if err := s.saveCeremony(ctx, st, sess); err != nil {
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
	body, ok := credentialForm(r)
	if !ok || !txn.mp.canVerify(store.FactorWebAuthn) {
		s.renderChallenge(w, r, p, txn, "", http.StatusBadRequest, "The passkey did not answer. Try again.", "")
		return
	}
	sess, err := s.takeCeremony(ctx, txn.st)
	if err != nil {
		s.renderChallenge(w, r, p, txn, "", http.StatusBadRequest, "The passkey did not answer in time. Try again.", "")
		return
	}
	wu, byCred, err := s.webauthnUser(ctx, p.tenant.ID, txn.u)
	if err != nil {
		s.mfaUnavailable(w, r, p, "webauthn user", err)
		return
	}
	err = s.verifyThrottled(ctx, loginFactorGuard(p, txn), passkeyCredential{t: p.tenant, wu: wu, byCred: byCred, sess: sess, body: body})
	if s.factorRefused(w, r, p, txn, err) {
		return
	}
	if err != nil {
		s.factorFailed(r, p, txn, store.FactorWebAuthn, err)
		s.auditClone(ctx, p.tenant.ID, txn.u.ID, err)
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

// storeAssertion saves a successful assertion: the signature counter must
// advance (one conditional UPDATE), else the key is treated as cloned.
func (s *Server) storeAssertion(ctx context.Context, f *store.Factor, res *mfawebauthn.LoginResult) error {
	if f == nil {
		return mfawebauthn.ErrUnknownCredential
	}
	data, err := json.Marshal(res.Credential)
	if err != nil {
		return err
	}
	err = s.store.AdvanceSignCount(ctx, f.TenantID, f.ID, res.SignCount, data, s.clock())
	if errors.Is(err, store.ErrAlreadyUsed) {
		return mfawebauthn.ErrClonedAuthenticator // a clone raced the real key
	}
	return err
}

// auditClone records a refused cloned authenticator (the counter did not
// advance), whether go-webauthn or the store noticed.
func (s *Server) auditClone(ctx context.Context, tenantID, userID string, err error) {
	if errors.Is(err, mfawebauthn.ErrClonedAuthenticator) {
		s.audit(ctx, &store.AuditEvent{TenantID: tenantID, Type: audit.MFAWebauthnCloned, UserID: userID})
	}
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
	wu, _, err := s.webauthnUser(ctx, u.TenantID, u)
	if err != nil {
		jsonError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	opts, sess, err := s.mfa.rp.BeginRegistration(wu)
	if err != nil {
		jsonError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	if err := s.saveCeremony(ctx, st, sess); err != nil {
		jsonError(w, http.StatusConflict, "This page expired. Reload it.")
		return
	}
	writeRawJSON(w, http.StatusOK, opts)
}

// finishRegistration verifies a registration and stores the new, active
// passkey factor.
func (s *Server) finishRegistration(ctx context.Context, t *store.Tenant, u *store.User, sess *mfawebauthn.Session, body []byte, name string) (*store.Factor, error) {
	wu, _, err := s.webauthnUser(ctx, t.ID, u)
	if err != nil {
		return nil, err
	}
	wu.Handle = sess.Data.UserID // the handle the authenticator was given
	c, err := s.mfa.rp.FinishRegistration(wu, sess, body, cleanName(name, store.FactorWebAuthn))
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	f := &store.Factor{ID: store.NewID(), TenantID: t.ID, UserID: u.ID, Kind: store.FactorWebAuthn, Name: c.Name,
		CredentialID: c.ID, UserHandle: wu.Handle, SignCount: c.SignCount, Credential: data, CreatedAt: s.clock()}
	if err := s.store.CreateFactor(ctx, f); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, mfawebauthn.ErrCredentialExists
		}
		return nil, err
	}
	if err := s.activateFactor(ctx, t, u, f); err != nil {
		return nil, err
	}
	return f, nil
}

func (s *Server) webauthnRegisterFinish(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.formTxn(w, r, p, stepEnroll)
	if !ok {
		return
	}
	ctx := r.Context()
	body, ok := credentialForm(r)
	if !ok || !txn.mp.allows(store.FactorWebAuthn) {
		s.renderEnroll(w, r, p, txn, http.StatusBadRequest, "The passkey did not answer. Try again.", "")
		return
	}
	sess, err := s.takeCeremony(ctx, txn.st)
	if err != nil {
		s.renderEnroll(w, r, p, txn, http.StatusBadRequest, "The passkey did not answer in time. Try again.", "")
		return
	}
	if _, err := s.finishRegistration(ctx, p.tenant, txn.u, sess, body, r.PostForm.Get("name")); err != nil {
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
	if !ok || s.mfa.rp == nil || !s.mfaPolicy(s.tenantSettings(ctx, p)).allows(store.FactorWebAuthn) {
		jsonError(w, http.StatusBadRequest, "Passkey sign-in is not available.")
		return
	}
	opts, sess, err := s.mfa.rp.BeginDiscoverableLogin()
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
	body, ok := credentialForm(r)
	if !ok {
		s.renderLogin(w, p, txn.ar, http.StatusBadRequest, "", "The passkey did not answer. Try again.")
		return
	}
	// The ceremony is used once: the state leaves the passkey step now.
	sess, err := mfawebauthn.UnmarshalSession(txn.st.Ceremony)
	txn.st.Step, txn.st.Ceremony = stepDone, nil
	if err != nil || s.store.AdvanceLoginState(ctx, txn.st, stepPasskey) != nil {
		s.expiredLogin(w, r)
		return
	}
	var byCred map[string]*store.Factor
	var owner *store.User
	lookup := func(ctx context.Context, handle []byte) (mfawebauthn.User, error) {
		fs, err := s.store.FactorsByUserHandle(ctx, p.tenant.ID, handle)
		if err != nil || len(fs) == 0 {
			return mfawebauthn.User{}, store.ErrNotFound
		}
		u, err := s.store.UserByID(ctx, p.tenant.ID, fs[0].UserID)
		if err != nil || u.Disabled {
			return mfawebauthn.User{}, store.ErrNotFound
		}
		wu, bc, err := s.webauthnUser(ctx, p.tenant.ID, u)
		owner, byCred = u, bc
		return wu, err
	}
	_, res, err := s.mfa.rp.FinishDiscoverableLogin(ctx, lookup, sess, body)
	if err == nil {
		err = s.storeAssertion(ctx, byCred[string(res.CredentialID)], res)
	}
	if err != nil {
		ev := &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.LoginPasskeyFailed, ClientID: txn.ar.ClientID}
		if owner != nil {
			ev.UserID = owner.ID
			s.auditClone(ctx, p.tenant.ID, owner.ID, err)
		}
		s.audit(ctx, ev)
		s.metrics.logins.WithLabelValues("passkey", "failed").Inc()
		s.log.Info("login: passkey sign-in refused", "tenant", p.tenant.Slug, "err", err)
		s.renderLogin(w, p, txn.ar, http.StatusUnauthorized, "", passkeyMessage(err))
		return
	}
	m := policy.MethodWebAuthn
	if res.UserVerified {
		m = policy.MethodPasskey
	}
	s.metrics.logins.WithLabelValues("passkey", "succeeded").Inc()
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.LoginPasskeySucceeded, UserID: owner.ID, ClientID: txn.ar.ClientID})
	s.finishPrimary(w, r, p, txn.ar, owner, []policy.Method{m})
}

// passkeyOffered: the login page shows "Sign in with a passkey".
func (s *Server) passkeyOffered(p *tenantProvider) bool {
	if s.mfa.rp == nil {
		return false
	}
	set := p.tenant.Settings
	if t, err := s.tenants.ByID(context.Background(), p.tenant.ID); err == nil {
		set = t.Settings
	}
	return s.mfaPolicy(set).allows(store.FactorWebAuthn)
}
