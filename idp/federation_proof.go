package idp

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Linking an upstream account to an existing local account by email needs
// the connection's link mode verified_email_with_proof, an email the
// upstream vouches for, and then proof of the local account: its password
// (its second factor once the account has one). The identity waiting for
// proof travels in a sealed cookie whose token is single-use; every attempt
// consumes it and a wrong password issues a new one, so a copied cookie is
// worthless and guesses stop after maxProofAttempts.

// askProof starts the proof step for local account u.
func (s *Server) askProof(w http.ResponseWriter, r *http.Request, p *tenantProvider, ar *store.AuthRequest, c *store.Connection, u *store.User, id federation.Identity) {
	state, err := federation.NewState(s.rand)
	if err != nil {
		s.unavailable(w, r, "federation: proof token", err)
		return
	}
	f := &fedFlow{Purpose: flowProof, ConnectionID: c.ID, AuthRequestID: ar.ID, UserID: u.ID, State: state,
		Identity: &pending{Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, AMR: id.AMR, UpstreamMFA: id.UpstreamMFA}}
	if err := s.saveFlow(r.Context(), w, p.tenant, f, fedProofTTL); err != nil {
		s.unavailable(w, r, "federation: save proof", err)
		return
	}
	s.audit(r.Context(), &store.AuditEvent{TenantID: p.tenant.ID, Type: store.EventFederationProof, UserID: u.ID, ClientID: ar.ClientID,
		Detail: map[string]string{"connection_id": c.ID, "issuer": id.Issuer, "subject": id.Subject}})
	s.renderProof(w, http.StatusOK, p, c, f, "")
}

func (s *Server) renderProof(w http.ResponseWriter, status int, p *tenantProvider, c *store.Connection, f *fedFlow, errMsg string) {
	var formActions []string // the sign-in may end at the app right after this form
	if ar, err := s.store.AuthRequestByID(context.Background(), p.tenant.ID, f.AuthRequestID); err == nil {
		formActions = append(formActions, redirectOrigin(ar))
	}
	s.renderPage(w, status, "federated", &fedPage{
		pageData: pageData{Title: "Connect your " + c.Name + " account", TenantName: p.tenant.Name, Error: errMsg,
			Action: s.tenantURL(p.tenant.Slug) + "/login/federated/" + c.ID + "/link",
			Back:   s.loginURL(p, f.AuthRequestID), BackLabel: "Cancel and go back to sign-in", FormActions: formActions},
		ProofEmail: f.Identity.Email, Provider: c.Name,
	})
}

// fedLinkSubmit checks the local password, links and signs in.
func (s *Server) fedLinkSubmit(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	ctx := r.Context()
	connID := r.PathValue("connection_id")
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	f, ok := s.readFlow(r, p.tenant, flowProof)
	if !ok || f.ConnectionID != connID || f.Identity == nil {
		s.clearFlow(w, p.tenant, flowProof)
		s.fedRefuse(w, r, p, nil, connID, http.StatusBadRequest, "no_flow",
			"This confirmation has expired or was already used.", nil)
		return
	}
	ar, ok := s.loadPendingRequest(ctx, p, f.AuthRequestID)
	if !ok {
		s.clearFlow(w, p.tenant, flowProof)
		s.expiredLogin(w, r)
		return
	}
	if err := s.consumeFlow(ctx, p.tenant, f); err != nil {
		s.clearFlow(w, p.tenant, flowProof)
		if !errors.Is(err, store.ErrAlreadyUsed) && !errors.Is(err, store.ErrExpired) && !errors.Is(err, store.ErrNotFound) {
			s.unavailable(w, r, "federation: consume proof", err)
			return
		}
		s.fedRefuse(w, r, p, f, connID, http.StatusBadRequest, refusalReason(err),
			"This confirmation has expired or was already used. Please start again.", err)
		return
	}
	c, err := s.enabledConnection(ctx, p.tenant, connID)
	if err != nil {
		s.clearFlow(w, p.tenant, flowProof)
		s.fedRefuse(w, r, p, f, connID, http.StatusForbidden, "connection_unavailable",
			"This sign-in option is no longer available.", err)
		return
	}
	u, err := s.store.UserByID(ctx, p.tenant.ID, f.UserID)
	if err != nil || u.Disabled {
		s.clearFlow(w, p.tenant, flowProof)
		s.fedRefuse(w, r, p, f, connID, http.StatusForbidden, "user_disabled",
			"This account cannot sign in. Please contact your administrator.", err)
		return
	}
	pw := r.PostForm.Get("password")
	verr := errors.New("empty password")
	if pw != "" && len(pw) <= maxPasswordLen {
		verr = s.hasher.Verify(ctx, u.PasswordHash, policy.NormalizePassword(pw))
	}
	if verr != nil {
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: store.EventFederationRefused, UserID: u.ID, ClientID: ar.ClientID,
			Detail: map[string]string{"reason": "proof_failed", "connection_id": c.ID, "attempt": strconv.Itoa(f.Attempts + 1)}})
		f.Attempts++
		if f.Attempts >= maxProofAttempts {
			s.clearFlow(w, p.tenant, flowProof)
			s.fedRefuse(w, r, p, f, c.ID, http.StatusForbidden, "proof_attempts_exhausted",
				"Too many incorrect passwords. The accounts were not connected.", nil)
			return
		}
		if f.State, err = federation.NewState(s.rand); err != nil {
			s.unavailable(w, r, "federation: proof token", err)
			return
		}
		if err := s.saveFlow(ctx, w, p.tenant, f, fedProofTTL); err != nil {
			s.unavailable(w, r, "federation: save proof", err)
			return
		}
		s.renderProof(w, http.StatusUnauthorized, p, c, f, "Incorrect password.")
		return
	}
	s.clearFlow(w, p.tenant, flowProof)
	// Re-check under the fresh state of the store: the account may have been
	// linked on this connection meanwhile.
	la, err := s.localAccount(ctx, p, c, u)
	if err != nil {
		s.unavailable(w, r, "federation: load links", err)
		return
	}
	if la.LinkedOnConnection {
		s.fedRefuse(w, r, p, f, c.ID, http.StatusConflict, "already_linked",
			"This account is already connected to a different "+c.Name+" account.", federation.ErrAlreadyLinked)
		return
	}
	id := f.Identity
	if !s.createLink(w, r, p, f, c, u, id.Issuer, id.Subject, id.Email, "email_proof") {
		return
	}
	s.fedSignIn(w, r, p, ar, c, u, id.AMR, id.UpstreamMFA, policy.MethodPassword)
}
