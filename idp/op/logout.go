package op

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), served by
// Gatehouse rather than zitadel so that nothing signs a browser out that the
// person did not ask for:
//
//   - With a valid id_token_hint of this tenant naming the browser's own user
//     (or a browser without a live session), and a post_logout_redirect_uri
//     that is registered for the hint's client or absent, the session ends at
//     once: sessions end, back-channel logout tokens go out, and the browser
//     is redirected with state (or lands on "Signed out").
//   - Anything else — no hint, a hint that does not verify or names another
//     user, an unregistered post-logout URI — shows a confirmation page. Its
//     form POSTs to end_session/confirm behind http.CrossOriginProtection,
//     so a link or image on another site cannot sign anyone out (logout CSRF).
//   - A post-logout URI is followed only if registered for the client (byte
//     for byte; loopback port rule for native public clients); otherwise the
//     person ends on the "Signed out" page. It is never followed unconfirmed
//     when it is not registered.

// logoutRequest is an end_session request after verification.
type logoutRequest struct {
	hint     *oidc.IDTokenClaims // a valid (possibly expired) id_token_hint of this tenant, or nil
	clientID string              // the hint's azp, or client_id when there is no hint
	// redirect is the registered post-logout URI with state, or "" for the
	// "Signed out" page.
	redirect string
	// unregistered: a post_logout_redirect_uri was given but is not
	// registered for the client (or no client could be established).
	unregistered bool
}

// readLogoutRequest verifies the parsed end_session parameters in r.Form.
func (h *Handler) readLogoutRequest(r *http.Request, p *tenantProvider) logoutRequest {
	ctx, f := r.Context(), r.Form
	var lr logoutRequest
	if raw := f.Get("id_token_hint"); raw != "" {
		claims, err := op.VerifyIDTokenHint[*oidc.IDTokenClaims](ctx, raw, p.op.IDTokenHintVerifier(ctx))
		if err == nil || errors.As(err, &op.IDTokenHintExpiredError{}) {
			lr.hint = claims
		}
	}
	lr.clientID = f.Get("client_id")
	if lr.hint != nil {
		azp := lr.hint.GetAuthorizedParty()
		if lr.clientID != "" && lr.clientID != azp {
			lr.hint, lr.clientID = nil, "" // contradictory: trust neither
		} else {
			lr.clientID = azp
		}
	}
	uri := f.Get("post_logout_redirect_uri")
	if uri == "" {
		return lr
	}
	c, err := h.Clients.Get(ctx, p.tenant.ID, lr.clientID)
	if err != nil || !registeredURI(c, c.PostLogoutRedirectURIs, uri) {
		lr.unregistered = true
		return lr
	}
	lr.redirect = uri
	if st := f.Get("state"); st != "" {
		u, err := url.Parse(uri)
		if err != nil {
			lr.redirect, lr.unregistered = "", true
			return lr
		}
		q := u.Query()
		q.Set("state", st)
		u.RawQuery = q.Encode()
		lr.redirect = u.String()
	}
	return lr
}

// browserUser returns the user of the browser's live session, "" when it
// has none, and false when the session could not be read (fail closed).
func (h *Handler) browserUser(r *http.Request, p *tenantProvider) (string, bool) {
	sess, err := h.Sessions.Current(r, p.tenant)
	switch {
	case err != nil:
		h.Log.Error("logout: session", "tenant", p.tenant.Slug, "err", err)
		return "", false
	case sess == nil:
		return "", true
	}
	return sess.UserID, true
}

// endSessionRequest serves end_session (GET or POST from the relying party).
func (h *Handler) endSessionRequest(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	lr := h.readLogoutRequest(r, p)
	user, ok := h.browserUser(r, p)
	if ok && lr.hint != nil && !lr.unregistered && (user == "" || user == lr.hint.Subject) {
		h.finishLogout(w, r, p, lr, lr.hint.Subject, http.StatusFound)
		return
	}
	h.renderLogoutConfirm(w, r, p, lr)
}

// endSessionConfirm is the confirmation form's POST (same origin only).
func (h *Handler) endSessionConfirm(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	lr := h.readLogoutRequest(r, p)
	user, ok := h.browserUser(r, p)
	if !ok {
		h.Pages.Error(w, http.StatusServiceUnavailable, "Temporarily unavailable", "Please try again in a moment.")
		return
	}
	if user == "" && lr.hint != nil {
		user = lr.hint.Subject
	}
	h.finishLogout(w, r, p, lr, user, http.StatusSeeOther)
}

// finishLogout ends the browser's session and the hint's session when they
// belong to userID (TerminateSessionFromRequest: back-channel logout, audit,
// cookie cleared), then redirects to the registered URI or "Signed out".
func (h *Handler) finishLogout(w http.ResponseWriter, r *http.Request, p *tenantProvider, lr logoutRequest, userID string, status int) {
	req := &op.EndSessionRequest{UserID: userID, ClientID: lr.clientID, IDTokenHintClaims: lr.hint}
	if _, err := p.storage.TerminateSessionFromRequest(r.Context(), req); err != nil {
		h.Pages.Unavailable(w, r, "logout", err)
		return
	}
	target := lr.redirect
	if target == "" {
		target = h.Issuer(p.tenant.Slug) + "/logged-out"
	}
	http.Redirect(w, r, target, status)
}

// logoutField is one hidden field of the confirmation form.
type logoutField struct{ Name, Value string }

type logoutData struct {
	web.Page
	Fields []logoutField
}

// logoutParams are the end_session parameters the confirmation form carries
// over (everything is verified again when it is posted).
var logoutParams = []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state"}

func (h *Handler) renderLogoutConfirm(w http.ResponseWriter, r *http.Request, p *tenantProvider, lr logoutRequest) {
	d := &logoutData{Page: web.Page{Title: "Sign out?", TenantName: p.tenant.Name,
		Message: "Do you want to sign out of " + p.tenant.Name + " in this browser?",
		Action:  h.Issuer(p.tenant.Slug) + "/end_session/confirm"}}
	if lr.unregistered {
		d.Error = "The application asked to send you to an address it has not registered, so you will stay here after signing out."
	}
	if lr.redirect != "" {
		// Browsers apply form-action to the redirect after the POST.
		if u, err := url.Parse(lr.redirect); err == nil {
			d.FormActions = []string{u.Scheme + "://" + u.Host}
		}
	}
	for _, name := range logoutParams {
		if v := r.Form.Get(name); v != "" {
			d.Fields = append(d.Fields, logoutField{name, v})
		}
	}
	h.Pages.Render(w, http.StatusOK, "logout", d)
}

// LoggedOut is the "Signed out" page: where end_session lands without a
// registered post-logout URI, and what the account pages' sign-out shows.
func (h *Handler) LoggedOut(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	h.Pages.Render(w, http.StatusOK, "message", &web.Page{Title: "Signed out", TenantName: t.Name,
		Message: "You have signed out. You can close this window.",
		Back:    h.Issuer(t.Slug) + "/account", BackLabel: "Sign in again"})
}
