package idp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Sign-in with an upstream connection, inside the login transaction of one
// auth request:
//
//	POST /t/{tenant}/login/federated/{connection_id}/start     id=<auth request>
//	     -> state, nonce, PKCE; sealed flow cookie; 303 to the upstream
//	GET  /t/{tenant}/login/federated/{connection_id}/callback  (the redirect URI)
//	     -> state matches the cookie and is consumed once; code exchanged;
//	        ID token verified by the connector; linking decision:
//	        linked -> sign in; JIT -> create, link, sign in;
//	        existing local account -> proof page; otherwise an explanation.
//	POST /t/{tenant}/login/federated/{connection_id}/link      password or code
//	     -> proves the local account (password or second factor), links,
//	        signs in (federation_proof.go).
//
// Every sign-in ends in finishPrimary with amr "fed" (+ the upstream's).

// connectionButton is one "Sign in with ..." button.
func buttonLabel(c *store.Connection) string { return "Sign in with " + c.Name }

// loginButtons lists the enabled connections of the tenant as buttons and
// the upstream origins they lead to.
func (s *Server) loginButtons(ctx context.Context, p *tenantProvider) ([]connectionButton, []string) {
	list, err := s.store.ListConnections(ctx, p.tenant.ID)
	if err != nil {
		s.log.Error("login: list connections", "tenant", p.tenant.Slug, "err", err)
		return nil, nil
	}
	var out []connectionButton
	var origins []string
	for _, c := range list {
		if !c.Enabled {
			continue
		}
		out = append(out, connectionButton{Label: buttonLabel(c),
			Action: s.tenantURL(p.tenant.Slug) + "/login/federated/" + c.ID + "/start"})
		if o := upstream.Origin(c); o != "" {
			origins = append(origins, o)
		}
	}
	return out, origins
}

// fedPage is the federation page: an explanation, or the proof form.
type fedPage struct {
	pageData
	ProofEmail string
	Provider   string
	// The proof form (federation_proof.go): which proofs are offered.
	SendAction   string
	HasPassword  bool
	ProofFactors []factors.View
	BackupLeft   int
	ProofPasskey bool
}

func (s *Server) loginURL(p *tenantProvider, arID string) string {
	return s.tenantURL(p.tenant.Slug) + "/login?id=" + arID
}

// fedRefuse audits a refused federated sign-in and explains it, with a way
// back. detail is for the log line only.
func (s *Server) fedRefuse(w http.ResponseWriter, r *http.Request, p *tenantProvider, f *upstream.Flow, connID string, status int, reason, msg string, detail error, extra ...slog.Attr) {
	ctx := r.Context()
	ev := &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.FederationRefused,
		Detail: map[string]string{"reason": reason, "connection_id": connID}}
	back, label := "", ""
	if f != nil {
		ev.Detail["flow"] = f.Purpose
		ev.UserID = f.UserID
		switch f.Purpose {
		case upstream.FlowConnect:
			back, label = s.tenantURL(p.tenant.Slug)+"/account/connections", "Back to your account"
		default:
			if f.AuthRequestID != "" {
				back, label = s.loginURL(p, f.AuthRequestID), "Back to sign-in"
			}
		}
	}
	var ue *federation.UpstreamError
	if errors.As(detail, &ue) {
		ev.Detail["upstream_error"] = ue.Code
	}
	s.audit(ctx, ev)
	attrs := []slog.Attr{slog.String("tenant", p.tenant.Slug), slog.String("connection_id", connID), slog.String("reason", reason)}
	if ue != nil {
		attrs = append(attrs, slog.String("upstream_error", ue.Code))
	}
	if detail != nil {
		attrs = append(attrs, slog.String("err", detail.Error()))
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, "federation: refused", append(attrs, extra...)...)
	s.metrics.logins.WithLabelValues("federated", "failed").Inc()
	if back == "" {
		msg += " Go back to your application and start again."
	}
	s.renderPage(w, status, "federated", &fedPage{pageData: pageData{Title: "Sign-in not completed",
		TenantName: p.tenant.Name, Error: msg, Back: back, BackLabel: label}})
}

// redirectUpstream stores the flow and sends the browser to the upstream.
func (s *Server) redirectUpstream(w http.ResponseWriter, r *http.Request, p *tenantProvider, c *store.Connection, f *upstream.Flow) {
	ctx := r.Context()
	conn, err := s.upstream.Connector(ctx, p.tenant, c)
	if err != nil {
		s.fedRefuse(w, r, p, f, c.ID, http.StatusBadGateway, upstream.RefusalReason(err), federation.PublicMessage(err), err)
		return
	}
	authURL, err := conn.LoginURL(f.State, f.Nonce, f.Verifier)
	if err != nil {
		s.fedRefuse(w, r, p, f, c.ID, http.StatusInternalServerError, "error", federation.PublicMessage(err), err)
		return
	}
	if err := s.upstream.SaveFlow(ctx, w, p.tenant, f, upstream.FlowTTL); err != nil {
		s.pages.Unavailable(w, r, "federation: save flow", err)
		return
	}
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// fedStart: the "Sign in with ..." button of the login page.
func (s *Server) fedStart(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
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
	connID := r.PathValue("connection_id")
	f, err := s.upstream.NewFlow(upstream.FlowLogin, connID)
	if err != nil {
		s.pages.Unavailable(w, r, "federation: new flow", err)
		return
	}
	f.AuthRequestID = ar.ID
	c, err := s.upstream.EnabledConnection(ctx, p.tenant, connID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.pages.Unavailable(w, r, "federation: load connection", err)
			return
		}
		s.fedRefuse(w, r, p, f, connID, http.StatusNotFound, "connection_unavailable",
			"This sign-in option is not available.", nil)
		return
	}
	s.redirectUpstream(w, r, p, c, f)
}

// fedCallback: the upstream's redirect back, for sign-in and for connect.
func (s *Server) fedCallback(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	ctx := r.Context()
	connID := r.PathValue("connection_id")
	f, ok := s.upstream.ReadFlow(r, p.tenant, upstream.FlowLogin)
	s.upstream.ClearFlow(w, p.tenant, upstream.FlowLogin)
	if !ok || f.ConnectionID != connID {
		s.fedRefuse(w, r, p, nil, connID, http.StatusBadRequest, "no_flow",
			"This sign-in link has expired or was already used.", nil)
		return
	}
	code, cbErr := federation.ParseCallback(r.URL.Query(), f.State)
	if errors.Is(cbErr, federation.ErrStateMismatch) {
		s.fedRefuse(w, r, p, f, connID, http.StatusBadRequest, "state_mismatch", federation.PublicMessage(cbErr), cbErr)
		return
	}
	// Single use, whatever the upstream answered.
	if err := s.upstream.ConsumeFlow(ctx, p.tenant, f); err != nil {
		if !errors.Is(err, store.ErrAlreadyUsed) && !errors.Is(err, store.ErrExpired) && !errors.Is(err, store.ErrNotFound) {
			s.pages.Unavailable(w, r, "federation: consume state", err)
			return
		}
		s.fedRefuse(w, r, p, f, connID, http.StatusBadRequest, upstream.RefusalReason(err),
			"This sign-in link has expired or was already used. Please start again.", err)
		return
	}
	if cbErr != nil {
		s.fedRefuse(w, r, p, f, connID, http.StatusBadGateway, upstream.RefusalReason(cbErr), federation.PublicMessage(cbErr), cbErr)
		return
	}
	c, err := s.upstream.EnabledConnection(ctx, p.tenant, connID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.pages.Unavailable(w, r, "federation: load connection", err)
			return
		}
		s.fedRefuse(w, r, p, f, connID, http.StatusForbidden, "connection_unavailable",
			"This sign-in option is no longer available.", nil)
		return
	}
	conn, err := s.upstream.Connector(ctx, p.tenant, c)
	if err == nil {
		var id federation.Identity
		if id, err = conn.Exchange(ctx, code, f.Verifier, f.Nonce); err == nil {
			switch f.Purpose {
			case upstream.FlowConnect:
				s.fedConnect(w, r, p, f, c, id)
			default:
				s.fedLogin(w, r, p, f, c, id)
			}
			return
		}
	}
	s.fedRefuse(w, r, p, f, connID, http.StatusBadGateway, upstream.RefusalReason(err), federation.PublicMessage(err), err)
}

// fedLogin applies the linking decision to a verified upstream identity.
func (s *Server) fedLogin(w http.ResponseWriter, r *http.Request, p *tenantProvider, f *upstream.Flow, c *store.Connection, id federation.Identity) {
	ctx := r.Context()
	ar, ok := s.loadPendingRequest(r, p, f.AuthRequestID)
	if !ok {
		s.expiredLogin(w, r)
		return
	}
	var facts federation.LinkFacts
	link, err := s.store.LinkByKey(ctx, p.tenant.ID, c.ID, id.Issuer, id.Subject)
	switch {
	case err == nil:
		facts.LinkedUserID = link.UserID
	case !errors.Is(err, store.ErrNotFound):
		s.pages.Unavailable(w, r, "federation: load link", err)
		return
	case id.EmailVerified && federation.EmailKey(id.Email) != "":
		u, err := s.store.UserByEmail(ctx, p.tenant.ID, federation.EmailKey(id.Email))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.pages.Unavailable(w, r, "federation: load user", err)
			return
		}
		if u != nil {
			la, err := s.localAccount(ctx, p, c, u)
			if err != nil {
				s.pages.Unavailable(w, r, "federation: load links", err)
				return
			}
			facts.EmailMatch = la
		}
	}
	d := federation.DecideLink(upstream.LinkPolicy(c), id, facts)
	switch d.Action {
	case federation.ActionSignInLinked:
		u, err := s.store.UserByID(ctx, p.tenant.ID, d.UserID)
		if err != nil || u.Disabled {
			s.fedRefuse(w, r, p, f, c.ID, http.StatusForbidden, "user_disabled",
				"This account cannot sign in. Please contact your administrator.", err)
			return
		}
		if err := s.store.TouchLink(ctx, p.tenant.ID, c.ID, id.Issuer, id.Subject, s.clock()); err != nil {
			s.log.Warn("federation: touch link", "tenant", p.tenant.Slug, "err", err)
		}
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.FederationLogin, UserID: u.ID, ClientID: ar.ClientID,
			Detail: map[string]string{"connection_id": c.ID, "issuer": id.Issuer, "subject": id.Subject}})
		s.fedSignIn(w, r, p, ar, c, u, id.AMR, id.UpstreamMFA)
	case federation.ActionCreateUser:
		s.fedCreateUser(w, r, p, f, ar, c, id, d.NewUser)
	case federation.ActionRequireProof:
		u, err := s.store.UserByID(ctx, p.tenant.ID, d.UserID)
		if err != nil || u.Disabled {
			s.fedRefuse(w, r, p, f, c.ID, http.StatusForbidden, "user_disabled",
				"This account cannot sign in. Please contact your administrator.", err)
			return
		}
		s.askProof(w, r, p, ar, c, u, id)
	default:
		s.fedRefuse(w, r, p, f, c.ID, http.StatusForbidden, upstream.RefusalReason(d.Reason), d.Explanation, d.Reason,
			slog.Any("identity", id))
	}
}

// localAccount describes u for the linking decision.
func (s *Server) localAccount(ctx context.Context, p *tenantProvider, c *store.Connection, u *store.User) (*federation.LocalAccount, error) {
	links, err := s.store.ListUserLinks(ctx, p.tenant.ID, u.ID)
	if err != nil {
		return nil, err
	}
	opts, err := s.proofOptions(ctx, p, u)
	if err != nil {
		return nil, err
	}
	la := &federation.LocalAccount{UserID: u.ID, HasPassword: opts.password, HasSecondFactor: opts.secondFactor()}
	for _, l := range links {
		if l.ConnectionID == c.ID {
			la.LinkedOnConnection = true
		}
	}
	return la, nil
}

// fedCreateUser provisions a user on first sign-in (JIT), links and signs in.
func (s *Server) fedCreateUser(w http.ResponseWriter, r *http.Request, p *tenantProvider, f *upstream.Flow, ar *store.AuthRequest, c *store.Connection, id federation.Identity, nu federation.NewUser) {
	ctx := r.Context()
	email := federation.EmailKey(nu.Email)
	if err := manage.ValidEmail(email); err != nil {
		s.fedRefuse(w, r, p, f, c.ID, http.StatusForbidden, "email_invalid",
			"Your identity provider shared an email address we cannot use. Please ask your administrator.", err)
		return
	}
	now := s.clock()
	u := &store.User{ID: store.NewID(), TenantID: p.tenant.ID, Email: email, EmailVerified: true,
		Name: strings.ToValidUTF8(web.Truncate(strings.TrimSpace(nu.Name), 200), ""), Role: nu.Role, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) { // created meanwhile: do not attach silently
			s.fedRefuse(w, r, p, f, c.ID, http.StatusConflict, "user_exists",
				"An account with this email address was just created. Please start again.", err)
			return
		}
		s.pages.Unavailable(w, r, "federation: create user", err)
		return
	}
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.FederationJITCreated, UserID: u.ID, ClientID: ar.ClientID,
		Detail: map[string]string{"connection_id": c.ID, "issuer": id.Issuer, "subject": id.Subject, "role": u.Role}})
	if !s.createLink(w, r, p, f, c, u, id.Issuer, id.Subject, id.Email, "jit") {
		return
	}
	s.fedSignIn(w, r, p, ar, c, u, id.AMR, id.UpstreamMFA)
}

// createLink stores and audits a link; on failure it has answered.
func (s *Server) createLink(w http.ResponseWriter, r *http.Request, p *tenantProvider, f *upstream.Flow, c *store.Connection, u *store.User, issuer, subject, email, via string) bool {
	ctx := r.Context()
	now := s.clock()
	err := s.store.CreateLink(ctx, &store.Link{TenantID: p.tenant.ID, ConnectionID: c.ID, Issuer: issuer, Subject: subject,
		UserID: u.ID, Email: web.Truncate(email, web.MaxEmailLen), CreatedAt: now, LastUsedAt: now})
	switch {
	case errors.Is(err, store.ErrConflict):
		s.fedRefuse(w, r, p, f, c.ID, http.StatusConflict, "linked_to_other_user",
			"This "+c.Name+" account is already connected to an account here.", err)
		return false
	case errors.Is(err, store.ErrNotFound):
		s.fedRefuse(w, r, p, f, c.ID, http.StatusForbidden, "connection_unavailable",
			"This sign-in option is no longer available.", err)
		return false
	case err != nil:
		s.pages.Unavailable(w, r, "federation: create link", err)
		return false
	}
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.FederationLink, UserID: u.ID,
		Detail: map[string]string{"connection_id": c.ID, "issuer": issuer, "subject": subject, "via": via}})
	return true
}

// fedSignIn ends a federated sign-in in the common login transaction.
func (s *Server) fedSignIn(w http.ResponseWriter, r *http.Request, p *tenantProvider, ar *store.AuthRequest, c *store.Connection, u *store.User, amr []string, upstreamMFA bool, extra ...policy.Method) {
	if err := s.store.RecordFederatedLogin(r.Context(), p.tenant.ID, ar.ID, c.ID, s.clock()); err != nil {
		s.pages.Unavailable(w, r, "federation: record login", err)
		return
	}
	s.metrics.logins.WithLabelValues("federated", "succeeded").Inc()
	// The upstream's amr reaches the session (and tokens) only on a
	// connection that trusts the upstream's MFA: from any other upstream it
	// is a claim nobody vouches for, and a session listing "otp" looked like
	// a fresh second factor to the account pages.
	var up []string
	if c.AcceptUpstreamMFA {
		up = upstream.AMR(amr, true)
	}
	s.finishPrimary(w, r, p, ar, u, upstream.Methods(c, upstreamMFA, extra...), up...)
}

// attachFederatedSession remembers which session a federated login
// produced, so `connection disable|remove --end-sessions` can end it.
func (s *Server) attachFederatedSession(ctx context.Context, p *tenantProvider, ar *store.AuthRequest, sess *store.Session) {
	err := s.store.AttachFederatedSession(ctx, p.tenant.ID, ar.ID, sess.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("federation: attach session", "tenant", p.tenant.Slug, "err", err)
	}
}
