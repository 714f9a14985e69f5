package login

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Linking an upstream account to an existing local account by email needs
// the connection's link mode verified_email_with_proof, an email the
// upstream vouches for, and then proof of the local account: its password
// or one of its second factors (federation_proof_factors.go). The identity
// waiting for proof travels in a sealed cookie whose token is single-use;
// every attempt (and every "send code") consumes it and issues a new one,
// so a copied cookie is worthless and guesses stop after maxProofAttempts.
//
//	POST /t/{tenant}/login/federated/{connection_id}/link       password, or factor + code
//	POST /t/{tenant}/login/federated/{connection_id}/link/send  factor (SMS or email code)
//	POST …/link/webauthn/{begin,finish}                          passkey (federation_proof_passkey.go)

// maxProofAttempts bounds password guesses per upstream sign-in.
const maxProofAttempts = 5

// askProof starts the proof step for local account u.
func (h *Handler) askProof(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest, c *store.Connection, u *store.User, id federation.Identity) {
	state, err := federation.NewState(h.Rand)
	if err != nil {
		h.Pages.Unavailable(w, r, "federation: proof token", err)
		return
	}
	f := &upstream.Flow{Purpose: upstream.FlowProof, ConnectionID: c.ID, AuthRequestID: ar.ID, UserID: u.ID, State: state,
		Identity: &upstream.Pending{Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, AMR: id.AMR, UpstreamMFA: id.UpstreamMFA}}
	if err := h.Upstream.SaveFlow(r.Context(), w, t, f, upstream.ProofTTL); err != nil {
		h.Pages.Unavailable(w, r, "federation: save proof", err)
		return
	}
	h.audit(r.Context(), &store.AuditEvent{TenantID: t.ID, Type: audit.FederationProofRequired, UserID: u.ID, ClientID: ar.ClientID,
		Detail: map[string]string{"connection_id": c.ID, "issuer": id.Issuer, "subject": id.Subject}})
	h.renderProof(w, r, http.StatusOK, t, c, f, u, "", "")
}

// renderProof shows the proof form: the password (if the account has one)
// and the account's second factors.
func (h *Handler) renderProof(w http.ResponseWriter, r *http.Request, status int, t *store.Tenant, c *store.Connection, f *upstream.Flow, u *store.User, errMsg, notice string) {
	opts, err := h.proofOptions(r.Context(), t, u)
	if err != nil {
		h.Pages.Unavailable(w, r, "federation: proof options", err)
		return
	}
	var formActions []string // the sign-in may end at the app right after this form
	if ar, ok := h.loadPendingRequest(r, t, f.AuthRequestID); ok {
		formActions = append(formActions, redirectOrigin(ar))
	}
	action := h.tenantURL(t.Slug) + "/login/federated/" + c.ID + "/link"
	d := &fedPage{
		Page: web.Page{Title: "Connect your " + c.Name + " account", TenantName: t.Name, Error: errMsg, Message: notice,
			Action: action, Back: h.loginURL(t, f.AuthRequestID), BackLabel: "Cancel and go back to sign-in", FormActions: formActions},
		ProofEmail: f.Identity.Email, Provider: c.Name, SendAction: action + "/send",
		HasPassword: opts.password, BackupLeft: opts.backupLeft, ProofPasskey: opts.passkey,
	}
	for _, pf := range opts.factors {
		d.ProofFactors = append(d.ProofFactors, factors.ViewOf(pf))
	}
	h.Pages.Render(w, status, "federated", d)
}

// proofRequest loads what both proof handlers need; on false it has answered.
// The flow's single-use state is consumed: the caller must issue a new one
// (reissueProof) to let the user try again.
func (h *Handler) proofRequest(w http.ResponseWriter, r *http.Request, t *store.Tenant) (*upstream.Flow, *store.AuthRequest, *store.Connection, *store.User, bool) {
	ctx := r.Context()
	connID := r.PathValue("connection_id")
	if err := r.ParseForm(); err != nil {
		h.Pages.Error(w, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return nil, nil, nil, nil, false
	}
	f, ok := h.Upstream.ReadFlow(r, t, upstream.FlowProof)
	if !ok || f.ConnectionID != connID || f.Identity == nil {
		h.Upstream.ClearFlow(w, t, upstream.FlowProof)
		h.fedRefuse(w, r, t, nil, connID, http.StatusBadRequest, "no_flow",
			"This confirmation has expired or was already used.", nil)
		return nil, nil, nil, nil, false
	}
	ar, ok := h.loadPendingRequest(r, t, f.AuthRequestID)
	if !ok {
		h.Upstream.ClearFlow(w, t, upstream.FlowProof)
		h.expiredLogin(w, r)
		return nil, nil, nil, nil, false
	}
	if err := h.Upstream.ConsumeFlow(ctx, t, f); err != nil {
		h.Upstream.ClearFlow(w, t, upstream.FlowProof)
		if !errors.Is(err, store.ErrAlreadyUsed) && !errors.Is(err, store.ErrExpired) && !errors.Is(err, store.ErrNotFound) {
			h.Pages.Unavailable(w, r, "federation: consume proof", err)
			return nil, nil, nil, nil, false
		}
		h.fedRefuse(w, r, t, f, connID, http.StatusBadRequest, upstream.RefusalReason(err),
			"This confirmation has expired or was already used. Please start again.", err)
		return nil, nil, nil, nil, false
	}
	c, err := h.Upstream.EnabledConnection(ctx, t, connID)
	if err != nil {
		h.Upstream.ClearFlow(w, t, upstream.FlowProof)
		h.fedRefuse(w, r, t, f, connID, http.StatusForbidden, "connection_unavailable",
			"This sign-in option is no longer available.", err)
		return nil, nil, nil, nil, false
	}
	u, err := h.Store.UserByID(ctx, t.ID, f.UserID)
	if err != nil || u.Disabled {
		h.Upstream.ClearFlow(w, t, upstream.FlowProof)
		h.fedRefuse(w, r, t, f, connID, http.StatusForbidden, "user_disabled",
			"This account cannot sign in. Please contact your administrator.", err)
		return nil, nil, nil, nil, false
	}
	return f, ar, c, u, true
}

// reissueProof gives the flow a new single-use state; on false it has answered.
func (h *Handler) reissueProof(w http.ResponseWriter, r *http.Request, t *store.Tenant, f *upstream.Flow) bool {
	var err error
	if f.State, err = federation.NewState(h.Rand); err != nil {
		h.Pages.Unavailable(w, r, "federation: proof token", err)
		return false
	}
	if err := h.Upstream.SaveFlow(r.Context(), w, t, f, upstream.ProofTTL); err != nil {
		h.Pages.Unavailable(w, r, "federation: save proof", err)
		return false
	}
	return true
}

// fedLinkSubmit checks the proof (password or second factor), links and
// signs in.
func (h *Handler) fedLinkSubmit(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	f, ar, c, u, ok := h.proofRequest(w, r, t)
	if !ok {
		return
	}
	h.proofChecked(w, r, t, f, ar, c, u, h.checkProof(r, t, u, f, r.PostForm))
}

// proofChecked answers a proof attempt: link and sign in, or count the
// failure and show the page again (or end the attempt).
func (h *Handler) proofChecked(w http.ResponseWriter, r *http.Request, t *store.Tenant, f *upstream.Flow, ar *store.AuthRequest, c *store.Connection, u *store.User, res proofResult) {
	ctx := r.Context()
	if errors.Is(res.err, factors.ErrThrottleUnavailable) {
		h.Upstream.ClearFlow(w, t, upstream.FlowProof)
		h.Pages.Unavailable(w, r, "federation: proof counters", res.err)
		return
	}
	if errors.Is(res.err, errProofLocked) {
		h.Upstream.ClearFlow(w, t, upstream.FlowProof)
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAChallengeLocked, UserID: u.ID, ClientID: ar.ClientID})
		h.fedRefuse(w, r, t, f, c.ID, http.StatusTooManyRequests, "proof_locked", factors.MsgAccountLocked, nil)
		return
	}
	if res.err != nil {
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.FederationRefused, UserID: u.ID, ClientID: ar.ClientID,
			Detail: map[string]string{"reason": "proof_failed", "connection_id": c.ID, "attempt": strconv.Itoa(f.Attempts + 1),
				"proof": res.kind, "why": res.why()}})
		status := http.StatusUnauthorized
		if te := (*factors.ThrottledError)(nil); errors.As(res.err, &te) {
			// The sign-in throttle refused the password before checking it.
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", te.RetryAfter())
		} else if _, public := web.PublicText(res.err); !public && !errors.Is(res.err, errWrongPassword) {
			h.Log.Warn("federation: proof refused", "tenant", t.Slug, "proof", res.kind, "err", res.err)
		}
		f.Attempts++
		if f.Attempts >= maxProofAttempts {
			h.Upstream.ClearFlow(w, t, upstream.FlowProof)
			h.fedRefuse(w, r, t, f, c.ID, http.StatusForbidden, "proof_attempts_exhausted",
				"Too many incorrect passwords or codes. The accounts were not connected.", nil)
			return
		}
		if h.reissueProof(w, r, t, f) {
			h.renderProof(w, r, status, t, c, f, u, res.message(), "")
		}
		return
	}
	h.Upstream.ClearFlow(w, t, upstream.FlowProof)
	h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.FederationProofPassed, UserID: u.ID, ClientID: ar.ClientID,
		Detail: map[string]string{"connection_id": c.ID, "proof": res.kind, "attempt": strconv.Itoa(f.Attempts + 1)}})
	// Re-check under the fresh state of the store: the account may have been
	// linked on this connection meanwhile.
	la, err := h.localAccount(ctx, t, c, u)
	if err != nil {
		h.Pages.Unavailable(w, r, "federation: load links", err)
		return
	}
	if la.LinkedOnConnection {
		h.fedRefuse(w, r, t, f, c.ID, http.StatusConflict, "already_linked",
			"This account is already connected to a different "+c.Name+" account.", federation.ErrAlreadyLinked)
		return
	}
	id := f.Identity
	if !h.createLink(w, r, t, f, c, u, id.Issuer, id.Subject, id.Email, "email_proof") {
		return
	}
	// The proof counts as a method of this sign-in (federation_proof_factors.go).
	h.fedSignIn(w, r, t, ar, c, u, id.AMR, id.UpstreamMFA, res.method)
}

// fedLinkSend sends an SMS or email code for the proof, bound to this
// auth request and connection.
func (h *Handler) fedLinkSend(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	ctx := r.Context()
	f, _, c, u, ok := h.proofRequest(w, r, t)
	if !ok {
		return
	}
	if !h.reissueProof(w, r, t, f) {
		return
	}
	pf, err := h.proofFactor(ctx, t, u, r.PostForm.Get("factor"))
	if err != nil || (pf.Kind != store.FactorSMS && pf.Kind != store.FactorEmail) {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			h.Pages.Unavailable(w, r, "federation: load factor", err)
			return
		}
		h.renderProof(w, r, http.StatusBadRequest, t, c, f, u, "Choose where to send the code.", "")
		return
	}
	if err := h.Factors.SendCode(ctx, t, u, pf, store.OTPPurposeLogin, proofBinding(f)); err != nil {
		msg, ok := web.PublicText(err)
		if !ok {
			msg = factors.ErrSendFailed.Public()
			h.Log.Error("federation: send proof code", "tenant", t.Slug, "err", err)
		}
		h.renderProof(w, r, http.StatusTooManyRequests, t, c, f, u, msg, "")
		return
	}
	h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.FederationProofCodeSent, UserID: u.ID,
		Detail: map[string]string{"connection_id": c.ID, "factor_id": pf.ID, "kind": pf.Kind}})
	h.renderProof(w, r, http.StatusOK, t, c, f, u, "", noticeFor("1"))
}
