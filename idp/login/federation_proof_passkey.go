package login

import (
	"errors"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
	"github.com/gatehouse-idp/gatehouse/idp/web"
	mfawebauthn "github.com/gatehouse-idp/gatehouse/mfa/webauthn"
)

// A passkey or security key as the proof before linking, with the same
// WebAuthn code as the second-factor step (BeginLogin/FinishLogin, the
// signature counter advanced by one conditional UPDATE):
//
//	POST /t/{tenant}/login/federated/{connection_id}/link/webauthn/begin   -> options (JSON)
//	POST /t/{tenant}/login/federated/{connection_id}/link/webauthn/finish  credential
//
// The ceremony is kept server-side in the auth request's login-state row,
// in a step of its own that no /login/2fa handler accepts, and is taken
// once by a conditional step change; the finish consumes the proof flow's
// single-use state like every other proof attempt.

// Login-state steps of the proof's passkey ceremony.
const (
	stepFedProof     = "fedproof"      // a passkey ceremony of the linking proof
	stepFedProofUsed = "fedproof-used" // that ceremony was taken
)

func (h *Handler) fedLinkWebAuthnBegin(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		web.JSONError(w, http.StatusBadRequest, "bad form")
		return
	}
	f, ok := h.Upstream.ReadFlow(r, t, upstream.FlowProof)
	if !ok || f.ConnectionID != r.PathValue("connection_id") || f.Identity == nil {
		web.JSONError(w, http.StatusBadRequest, "This confirmation has expired. Start again.")
		return
	}
	ar, ok := h.loadPendingRequest(r, t, f.AuthRequestID)
	if !ok {
		web.JSONError(w, http.StatusBadRequest, "This sign-in expired. Start again.")
		return
	}
	u, err := h.Store.UserByID(ctx, t.ID, f.UserID)
	if err != nil || u.Disabled {
		web.JSONError(w, http.StatusBadRequest, "This confirmation has expired. Start again.")
		return
	}
	opts, err := h.proofOptions(ctx, t, u)
	if err != nil {
		web.JSONError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	if !opts.passkey {
		web.JSONError(w, http.StatusBadRequest, "Passkeys are not available.")
		return
	}
	options, sess, err := h.Factors.BeginLogin(ctx, t.ID, u)
	if msg, ok := web.PublicText(err); ok {
		web.JSONError(w, http.StatusBadRequest, msg)
		return
	}
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
	if err := h.Store.PutLoginState(ctx, &store.LoginState{TenantID: t.ID, AuthRequestID: ar.ID, UserID: u.ID,
		Step: stepFedProof, Ceremony: data, CreatedAt: now, ExpiresAt: ar.ExpiresAt}); err != nil {
		web.JSONError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	web.RawJSON(w, http.StatusOK, options)
}

func (h *Handler) fedLinkWebAuthnFinish(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	f, ar, c, u, ok := h.proofRequest(w, r, t)
	if !ok {
		return
	}
	h.proofChecked(w, r, t, f, ar, c, u, h.checkPasskeyProof(r, t, ar, u))
}

// checkPasskeyProof takes the proof's ceremony (once) and verifies the
// posted assertion against u's passkeys.
func (h *Handler) checkPasskeyProof(r *http.Request, t *store.Tenant, ar *store.AuthRequest, u *store.User) proofResult {
	ctx := r.Context()
	res := proofResult{kind: store.FactorWebAuthn, method: policy.MethodWebAuthn}
	opts, err := h.proofOptions(ctx, t, u)
	if err != nil {
		res.err = err
		return res
	}
	body, ok := factors.CredentialForm(r)
	if !opts.passkey || !ok {
		return proofResult{kind: "unknown", err: errUnknownProof}
	}
	st, err := h.Store.LoginState(ctx, t.ID, ar.ID, h.Clock())
	if err != nil || st.Step != stepFedProof || st.UserID != u.ID {
		return proofResult{kind: store.FactorWebAuthn, err: errPasskeyNoCeremony}
	}
	sess, err := mfawebauthn.UnmarshalSession(st.Ceremony)
	st.Step, st.Ceremony = stepFedProofUsed, nil
	if err != nil || h.Store.AdvanceLoginState(ctx, st, stepFedProof) != nil {
		return proofResult{kind: store.FactorWebAuthn, err: errPasskeyNoCeremony}
	}
	c, err := h.Factors.PasskeyCredential(ctx, t.ID, u, sess, body)
	if err != nil {
		res.err = err
		return res
	}
	err = h.Factors.VerifyThrottled(ctx, h.Factors.FactorGuard(t, u.ID, ""), c)
	if err != nil && !errors.As(err, new(*factors.ThrottledError)) && !errors.Is(err, factors.ErrThrottleUnavailable) {
		h.Factors.AuditClone(ctx, t.ID, u.ID, err)
	}
	res.err = proofFactorError(err)
	return res
}

// errPasskeyNoCeremony: finish without a begin, or a second finish.
const errPasskeyNoCeremony web.Message = "The passkey did not answer in time. Try again."
