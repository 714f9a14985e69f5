package login

import (
	"errors"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
)

// The end of connecting an upstream account from the account page: the
// account side starts it behind the sensitive-action guard (RedirectUpstream
// with an upstream.FlowConnect flow), and the upstream's redirect comes back
// to fedCallback, which dispatches a connect flow here. It refuses through
// the federation refusal page and links through the same code as
// login-time linking; the account side's email is the Connected field.
//
// An explicit connect links whatever upstream account the user signs in
// with, without comparing emails or requiring email_verified: the person
// has just proved control of both accounts (the Gatehouse session and the
// upstream sign-in), which is the proof the login-time linking asks for.
// The connection's own rules (hosted domain, Entra tenants) still apply,
// and an upstream account linked to someone else is refused.

// fedConnect links a verified upstream identity to the user who started
// the connect, if that user is still the one signed in.
func (h *Handler) fedConnect(w http.ResponseWriter, r *http.Request, t *store.Tenant, f *upstream.Flow, c *store.Connection, id federation.Identity) {
	ctx := r.Context()
	sess, _ := h.Sessions.Current(r, t)
	if sess == nil || sess.ID != f.SessionID || sess.UserID != f.UserID {
		h.fedRefuse(w, r, t, f, c.ID, http.StatusForbidden, "session_changed",
			"You are no longer signed in as the account that started connecting. Sign in and try again.", nil)
		return
	}
	u, err := h.Store.UserByID(ctx, t.ID, f.UserID)
	if err != nil || u.Disabled {
		h.fedRefuse(w, r, t, f, c.ID, http.StatusForbidden, "user_disabled", "This account cannot be changed.", err)
		return
	}
	if id.Issuer == "" || id.Subject == "" {
		h.fedRefuse(w, r, t, f, c.ID, http.StatusBadGateway, "incomplete_identity",
			c.Name+" did not identify your account. Please try again.", federation.ErrIncompleteIdentity)
		return
	}
	base := h.tenantURL(t.Slug) + "/account/connections"
	switch l, err := h.Store.LinkByKey(ctx, t.ID, c.ID, id.Issuer, id.Subject); {
	case err == nil && l.UserID == u.ID:
		http.Redirect(w, r, base+"?done=already", http.StatusSeeOther)
		return
	case err == nil:
		h.fedRefuse(w, r, t, f, c.ID, http.StatusConflict, "linked_to_other_user",
			"This "+c.Name+" account is already connected to another account here.", nil)
		return
	case !errors.Is(err, store.ErrNotFound):
		h.Pages.Unavailable(w, r, "account: load link", err)
		return
	}
	la, err := h.localAccount(ctx, t, c, u)
	if err != nil {
		h.Pages.Unavailable(w, r, "account: load links", err)
		return
	}
	if la.LinkedOnConnection {
		h.fedRefuse(w, r, t, f, c.ID, http.StatusConflict, "already_linked",
			"Your account is already connected to a "+c.Name+" account. Disconnect it first.", federation.ErrAlreadyLinked)
		return
	}
	if !h.createLink(w, r, t, f, c, u, id.Issuer, id.Subject, id.Email, "account") {
		return
	}
	// The connect was started behind the sensitive guard; it completes here,
	// on the upstream's redirect, so this is where the user is told.
	h.Connected(ctx, t, u, c.Name, id.Email)
	http.Redirect(w, r, base+"?done=connected", http.StatusSeeOther)
}
