package login

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

// web.ConnectionButton is one "Sign in with ..." button.
func buttonLabel(c *store.Connection) string { return "Sign in with " + c.Name }

// loginButtons lists the enabled connections of the tenant as buttons and
// the upstream origins they lead to.
func (h *Handler) loginButtons(ctx context.Context, t *store.Tenant) ([]web.ConnectionButton, []string) {
	list, err := h.Store.ListConnections(ctx, t.ID)
	if err != nil {
		h.Log.Error("login: list connections", "tenant", t.Slug, "err", err)
		return nil, nil
	}
	var out []web.ConnectionButton
	var origins []string
	for _, c := range list {
		if !c.Enabled {
			continue
		}
		out = append(out, web.ConnectionButton{Label: buttonLabel(c),
			Action: h.tenantURL(t.Slug) + "/login/federated/" + c.ID + "/start"})
		if o := upstream.Origin(c); o != "" {
			origins = append(origins, o)
		}
	}
	return out, origins
}

// fedPage is the federation page: an explanation, or the proof form.
type fedPage struct {
	web.Page
	ProofEmail string
	Provider   string
	// The proof form (federation_proof.go): which proofs are offered.
	SendAction   string
	HasPassword  bool
	ProofFactors []factors.View
	BackupLeft   int
	ProofPasskey bool
}

func (h *Handler) loginURL(t *store.Tenant, arID string) string {
	return h.tenantURL(t.Slug) + "/login?id=" + arID
}

// fedRefuse audits a refused federated sign-in and explains it, with a way
// back. detail is for the log line only.
func (h *Handler) fedRefuse(w http.ResponseWriter, r *http.Request, t *store.Tenant, f *upstream.Flow, connID string, status int, reason, msg string, detail error, extra ...slog.Attr) {
	ctx := r.Context()
	ev := &store.AuditEvent{TenantID: t.ID, Type: audit.FederationRefused,
		Detail: map[string]string{"reason": reason, "connection_id": connID}}
	back, label := "", ""
	if f != nil {
		ev.Detail["flow"] = f.Purpose
		ev.UserID = f.UserID
		switch f.Purpose {
		case upstream.FlowConnect:
			back, label = h.tenantURL(t.Slug)+"/account/connections", "Back to your account"
		default:
			if f.AuthRequestID != "" {
				back, label = h.loginURL(t, f.AuthRequestID), "Back to sign-in"
			}
		}
	}
	var ue *federation.UpstreamError
	if errors.As(detail, &ue) {
		ev.Detail["upstream_error"] = ue.Code
	}
	h.audit(ctx, ev)
	attrs := []slog.Attr{slog.String("tenant", t.Slug), slog.String("connection_id", connID), slog.String("reason", reason)}
	if ue != nil {
		attrs = append(attrs, slog.String("upstream_error", ue.Code))
	}
	if detail != nil {
		attrs = append(attrs, slog.String("err", detail.Error()))
	}
	h.Log.LogAttrs(ctx, slog.LevelWarn, "federation: refused", append(attrs, extra...)...)
	h.Logins.WithLabelValues("federated", "failed").Inc()
	if back == "" {
		msg += " Go back to your application and start again."
	}
	h.Pages.Render(w, status, "federated", &fedPage{Page: web.Page{Title: "Sign-in not completed",
		TenantName: t.Name, Error: msg, Back: back, BackLabel: label}})
}

// RedirectUpstream stores the flow and sends the browser to the upstream:
// the login page's "Sign in with …" and the account page's "Connect" both
// start the round trip here, and it returns to fedCallback.
func (h *Handler) RedirectUpstream(w http.ResponseWriter, r *http.Request, t *store.Tenant, c *store.Connection, f *upstream.Flow) {
	ctx := r.Context()
	conn, err := h.Upstream.Connector(ctx, t, c)
	if err != nil {
		h.fedRefuse(w, r, t, f, c.ID, http.StatusBadGateway, upstream.RefusalReason(err), federation.PublicMessage(err), err)
		return
	}
	authURL, err := conn.LoginURL(f.State, f.Nonce, f.Verifier)
	if err != nil {
		h.fedRefuse(w, r, t, f, c.ID, http.StatusInternalServerError, "error", federation.PublicMessage(err), err)
		return
	}
	if err := h.Upstream.SaveFlow(ctx, w, t, f, upstream.FlowTTL); err != nil {
		h.Pages.Unavailable(w, r, "federation: save flow", err)
		return
	}
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// fedStart: the "Sign in with ..." button of the login page.
func (h *Handler) fedStart(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
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
	connID := r.PathValue("connection_id")
	f, err := h.Upstream.NewFlow(upstream.FlowLogin, connID)
	if err != nil {
		h.Pages.Unavailable(w, r, "federation: new flow", err)
		return
	}
	f.AuthRequestID = ar.ID
	c, err := h.Upstream.EnabledConnection(ctx, t, connID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.Pages.Unavailable(w, r, "federation: load connection", err)
			return
		}
		h.fedRefuse(w, r, t, f, connID, http.StatusNotFound, "connection_unavailable",
			"This sign-in option is not available.", nil)
		return
	}
	h.RedirectUpstream(w, r, t, c, f)
}

// fedCallback: the upstream's redirect back, for sign-in and for connect.
func (h *Handler) fedCallback(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	ctx := r.Context()
	connID := r.PathValue("connection_id")
	f, ok := h.Upstream.ReadFlow(r, t, upstream.FlowLogin)
	h.Upstream.ClearFlow(w, t, upstream.FlowLogin)
	if !ok || f.ConnectionID != connID {
		h.fedRefuse(w, r, t, nil, connID, http.StatusBadRequest, "no_flow",
			"This sign-in link has expired or was already used.", nil)
		return
	}
	code, cbErr := federation.ParseCallback(r.URL.Query(), f.State)
	if errors.Is(cbErr, federation.ErrStateMismatch) {
		h.fedRefuse(w, r, t, f, connID, http.StatusBadRequest, "state_mismatch", federation.PublicMessage(cbErr), cbErr)
		return
	}
	// Single use, whatever the upstream answered.
	if err := h.Upstream.ConsumeFlow(ctx, t, f); err != nil {
		if !errors.Is(err, store.ErrAlreadyUsed) && !errors.Is(err, store.ErrExpired) && !errors.Is(err, store.ErrNotFound) {
			h.Pages.Unavailable(w, r, "federation: consume state", err)
			return
		}
		h.fedRefuse(w, r, t, f, connID, http.StatusBadRequest, upstream.RefusalReason(err),
			"This sign-in link has expired or was already used. Please start again.", err)
		return
	}
	if cbErr != nil {
		h.fedRefuse(w, r, t, f, connID, http.StatusBadGateway, upstream.RefusalReason(cbErr), federation.PublicMessage(cbErr), cbErr)
		return
	}
	c, err := h.Upstream.EnabledConnection(ctx, t, connID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.Pages.Unavailable(w, r, "federation: load connection", err)
			return
		}
		h.fedRefuse(w, r, t, f, connID, http.StatusForbidden, "connection_unavailable",
			"This sign-in option is no longer available.", nil)
		return
	}
	conn, err := h.Upstream.Connector(ctx, t, c)
	if err == nil {
		var id federation.Identity
		if id, err = conn.Exchange(ctx, code, f.Verifier, f.Nonce); err == nil {
			switch f.Purpose {
			case upstream.FlowConnect:
				h.fedConnect(w, r, t, f, c, id)
			default:
				h.fedLogin(w, r, t, f, c, id)
			}
			return
		}
	}
	h.fedRefuse(w, r, t, f, connID, http.StatusBadGateway, upstream.RefusalReason(err), federation.PublicMessage(err), err)
}

// fedLogin applies the linking decision to a verified upstream identity.
func (h *Handler) fedLogin(w http.ResponseWriter, r *http.Request, t *store.Tenant, f *upstream.Flow, c *store.Connection, id federation.Identity) {
	ctx := r.Context()
	ar, ok := h.loadPendingRequest(r, t, f.AuthRequestID)
	if !ok {
		h.expiredLogin(w, r)
		return
	}
	var facts federation.LinkFacts
	link, err := h.Store.LinkByKey(ctx, t.ID, c.ID, id.Issuer, id.Subject)
	switch {
	case err == nil:
		facts.LinkedUserID = link.UserID
	case !errors.Is(err, store.ErrNotFound):
		h.Pages.Unavailable(w, r, "federation: load link", err)
		return
	case id.EmailVerified && federation.EmailKey(id.Email) != "":
		u, err := h.Store.UserByEmail(ctx, t.ID, federation.EmailKey(id.Email))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			h.Pages.Unavailable(w, r, "federation: load user", err)
			return
		}
		if u != nil {
			la, err := h.localAccount(ctx, t, c, u)
			if err != nil {
				h.Pages.Unavailable(w, r, "federation: load links", err)
				return
			}
			facts.EmailMatch = la
		}
	}
	d := federation.DecideLink(upstream.LinkPolicy(c), id, facts)
	switch d.Action {
	case federation.ActionSignInLinked:
		u, err := h.Store.UserByID(ctx, t.ID, d.UserID)
		if err != nil || u.Disabled {
			h.fedRefuse(w, r, t, f, c.ID, http.StatusForbidden, "user_disabled",
				"This account cannot sign in. Please contact your administrator.", err)
			return
		}
		if err := h.Store.TouchLink(ctx, t.ID, c.ID, id.Issuer, id.Subject, h.Clock()); err != nil {
			h.Log.Warn("federation: touch link", "tenant", t.Slug, "err", err)
		}
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.FederationLogin, UserID: u.ID, ClientID: ar.ClientID,
			Detail: map[string]string{"connection_id": c.ID, "issuer": id.Issuer, "subject": id.Subject}})
		h.fedSignIn(w, r, t, ar, c, u, id.AMR, id.UpstreamMFA)
	case federation.ActionCreateUser:
		h.fedCreateUser(w, r, t, f, ar, c, id, d.NewUser)
	case federation.ActionRequireProof:
		u, err := h.Store.UserByID(ctx, t.ID, d.UserID)
		if err != nil || u.Disabled {
			h.fedRefuse(w, r, t, f, c.ID, http.StatusForbidden, "user_disabled",
				"This account cannot sign in. Please contact your administrator.", err)
			return
		}
		h.askProof(w, r, t, ar, c, u, id)
	default:
		h.fedRefuse(w, r, t, f, c.ID, http.StatusForbidden, upstream.RefusalReason(d.Reason), d.Explanation, d.Reason,
			slog.Any("identity", id))
	}
}

// localAccount describes u for the linking decision.
func (h *Handler) localAccount(ctx context.Context, t *store.Tenant, c *store.Connection, u *store.User) (*federation.LocalAccount, error) {
	links, err := h.Store.ListUserLinks(ctx, t.ID, u.ID)
	if err != nil {
		return nil, err
	}
	opts, err := h.proofOptions(ctx, t, u)
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
func (h *Handler) fedCreateUser(w http.ResponseWriter, r *http.Request, t *store.Tenant, f *upstream.Flow, ar *store.AuthRequest, c *store.Connection, id federation.Identity, nu federation.NewUser) {
	ctx := r.Context()
	email := federation.EmailKey(nu.Email)
	if err := manage.ValidEmail(email); err != nil {
		h.fedRefuse(w, r, t, f, c.ID, http.StatusForbidden, "email_invalid",
			"Your identity provider shared an email address we cannot use. Please ask your administrator.", err)
		return
	}
	now := h.Clock()
	u := &store.User{ID: store.NewID(), TenantID: t.ID, Email: email, EmailVerified: true,
		Name: strings.ToValidUTF8(web.Truncate(strings.TrimSpace(nu.Name), 200), ""), Role: nu.Role, CreatedAt: now, UpdatedAt: now}
	if err := h.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) { // created meanwhile: do not attach silently
			h.fedRefuse(w, r, t, f, c.ID, http.StatusConflict, "user_exists",
				"An account with this email address was just created. Please start again.", err)
			return
		}
		h.Pages.Unavailable(w, r, "federation: create user", err)
		return
	}
	h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.FederationJITCreated, UserID: u.ID, ClientID: ar.ClientID,
		Detail: map[string]string{"connection_id": c.ID, "issuer": id.Issuer, "subject": id.Subject, "role": u.Role}})
	if !h.createLink(w, r, t, f, c, u, id.Issuer, id.Subject, id.Email, "jit") {
		return
	}
	h.fedSignIn(w, r, t, ar, c, u, id.AMR, id.UpstreamMFA)
}

// createLink stores and audits a link; on failure it has answered.
func (h *Handler) createLink(w http.ResponseWriter, r *http.Request, t *store.Tenant, f *upstream.Flow, c *store.Connection, u *store.User, issuer, subject, email, via string) bool {
	ctx := r.Context()
	now := h.Clock()
	err := h.Store.CreateLink(ctx, &store.Link{TenantID: t.ID, ConnectionID: c.ID, Issuer: issuer, Subject: subject,
		UserID: u.ID, Email: web.Truncate(email, web.MaxEmailLen), CreatedAt: now, LastUsedAt: now})
	switch {
	case errors.Is(err, store.ErrConflict):
		h.fedRefuse(w, r, t, f, c.ID, http.StatusConflict, "linked_to_other_user",
			"This "+c.Name+" account is already connected to an account here.", err)
		return false
	case errors.Is(err, store.ErrNotFound):
		h.fedRefuse(w, r, t, f, c.ID, http.StatusForbidden, "connection_unavailable",
			"This sign-in option is no longer available.", err)
		return false
	case err != nil:
		h.Pages.Unavailable(w, r, "federation: create link", err)
		return false
	}
	h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.FederationLink, UserID: u.ID,
		Detail: map[string]string{"connection_id": c.ID, "issuer": issuer, "subject": subject, "via": via}})
	return true
}

// fedSignIn ends a federated sign-in in the common login transaction.
func (h *Handler) fedSignIn(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest, c *store.Connection, u *store.User, amr []string, upstreamMFA bool, extra ...policy.Method) {
	if err := h.Store.RecordFederatedLogin(r.Context(), t.ID, ar.ID, c.ID, h.Clock()); err != nil {
		h.Pages.Unavailable(w, r, "federation: record login", err)
		return
	}
	h.Logins.WithLabelValues("federated", "succeeded").Inc()
	// The upstream's amr reaches the session (and tokens) only on a
	// connection that trusts the upstream's MFA: from any other upstream it
	// is a claim nobody vouches for, and a session listing "otp" looked like
	// a fresh second factor to the account pages.
	var up []string
	if c.AcceptUpstreamMFA {
		up = upstream.AMR(amr, true)
	}
	h.finishPrimary(w, r, t, ar, u, upstream.Methods(c, upstreamMFA, extra...), up...)
}

// attachFederatedSession remembers which session a federated login
// produced, so `connection disable|remove --end-sessions` can end it.
func (h *Handler) attachFederatedSession(ctx context.Context, t *store.Tenant, ar *store.AuthRequest, sess *store.Session) {
	err := h.Store.AttachFederatedSession(ctx, t.ID, ar.ID, sess.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.Log.Error("federation: attach session", "tenant", t.Slug, "err", err)
	}
}
