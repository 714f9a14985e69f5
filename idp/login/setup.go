package login

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The first owner's setup page: /t/{tenant}/setup?token=… sets the email,
// name and password of the tenant's first owner. The link itself is the
// management service's (SetupLink); the page consumes it once, in one store
// transaction that also checks the tenant still has no owner.

// setupLinkInvalid is what a person with a used, expired or unknown setup
// link reads, with the command that makes a new one.
func setupLinkInvalid(t *store.Tenant) string {
	return fmt.Sprintf("This setup link is unknown, expired or was already used. On the server, run "+
		"`gatehouse tenant setup-link %s` to get a new one.", t.Slug)
}

func (h *Handler) setupPage(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	token := web.Truncate(r.URL.Query().Get("token"), 128)
	// Say at once when the link cannot work, not after the form is filled.
	a, err := h.Store.ActionTokenByHash(r.Context(), t.ID, store.ActionSetupOwner, seal.HashToken(token))
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && (a.UsedAt != nil || !h.Clock().Before(a.ExpiresAt)):
		h.Pages.Error(w, http.StatusBadRequest, "Link not valid", setupLinkInvalid(t))
		return
	case err != nil:
		h.Pages.Unavailable(w, r, "setup: read link", err)
		return
	}
	h.Pages.Render(w, http.StatusOK, "setup", &web.Page{Title: "Set up your organisation", TenantName: t.Name,
		Action: h.tenantURL(t.Slug) + "/setup", Token: token})
}

func (h *Handler) setupSubmit(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.Pages.Error(w, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	token := r.PostForm.Get("token")
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	name := strings.TrimSpace(r.PostForm.Get("name"))
	pw := r.PostForm.Get("password")
	again := func(msg string) {
		h.Pages.Render(w, http.StatusBadRequest, "setup", &web.Page{Title: "Set up your organisation", TenantName: t.Name,
			Action: h.tenantURL(t.Slug) + "/setup", Token: web.Truncate(token, 128), Email: web.Truncate(email, web.MaxEmailLen),
			Name: web.Truncate(name, 200), Error: msg})
	}
	if err := manage.ValidEmail(email); err != nil {
		again(err.Error())
		return
	}
	if len(name) > 200 {
		again("The name is too long (200 characters at most).")
		return
	}
	if err := manage.PasswordPolicy(t.Settings).Check(pw, manage.UserInputs(t, email, name)); err != nil {
		again(err.Error())
		return
	}
	hash, err := h.Hasher.Hash(ctx, policy.NormalizePassword(pw))
	if err != nil {
		h.Pages.Unavailable(w, r, "setup: hash password", err)
		return
	}
	now := h.Clock()
	// Consume the link only once the input is valid, exactly once, and only
	// while the tenant has no owner: one store transaction checks, consumes
	// and creates, so two links cannot make two owners.
	u := &store.User{ID: store.NewID(), TenantID: t.ID, Email: email, Name: name, Role: store.RoleOwner,
		PasswordHash: hash, PasswordChangedAt: now, CreatedAt: now, UpdatedAt: now}
	err = h.Store.CreateFirstOwner(ctx, seal.HashToken(token), u, now)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrOwnerExists):
		h.Pages.Error(w, http.StatusBadRequest, "Link not valid",
			"This organisation already has an owner, so setup links no longer work. Ask the owner to invite you.")
		return
	case errors.Is(err, store.ErrConflict):
		h.Pages.Error(w, http.StatusConflict, "Account exists", "A user with this email already exists in this organisation.")
		return
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAlreadyUsed), errors.Is(err, store.ErrExpired):
		h.Pages.Error(w, http.StatusBadRequest, "Link not valid", setupLinkInvalid(t))
		return
	default:
		h.Pages.Unavailable(w, r, "setup: create owner", err)
		return
	}
	h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.UserCreated, UserID: u.ID, Detail: map[string]string{"via": "setup_link", "role": u.Role}})
	// Signing in next also enrols the second factor the policy asks for.
	h.Pages.Render(w, http.StatusOK, "message", &web.Page{Title: "Owner account created", TenantName: t.Name,
		Message: fmt.Sprintf("%s is the owner of %s. Sign in now to set up your second factor; then register your helpdesk app as an OpenID client with issuer %s.",
			email, t.Name, h.tenantURL(t.Slug)),
		Back: h.tenantURL(t.Slug) + "/account", BackLabel: "Sign in"})
}
