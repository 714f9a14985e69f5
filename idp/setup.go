package idp

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

func (s *Server) setupPage(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	s.render(w, http.StatusOK, "setup", &pageData{Title: "Set up your organisation", TenantName: p.tenant.Name,
		Action: s.tenantURL(p.tenant.Slug) + "/setup", Token: web.Truncate(r.URL.Query().Get("token"), 128)})
}

func (s *Server) setupSubmit(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return
	}
	token := r.PostForm.Get("token")
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	name := strings.TrimSpace(r.PostForm.Get("name"))
	pw := r.PostForm.Get("password")
	again := func(msg string) {
		s.render(w, http.StatusBadRequest, "setup", &pageData{Title: "Set up your organisation", TenantName: p.tenant.Name,
			Action: s.tenantURL(p.tenant.Slug) + "/setup", Token: web.Truncate(token, 128), Email: web.Truncate(email, web.MaxEmailLen),
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
	if err := manage.PasswordPolicy(s.tenantSettings(ctx, p)).Check(pw, manage.UserInputs(p.tenant, email, name)); err != nil {
		again(err.Error())
		return
	}
	hash, err := s.hasher.Hash(ctx, policy.NormalizePassword(pw))
	if err != nil {
		s.pages.Unavailable(w, r, "setup: hash password", err)
		return
	}
	now := s.clock()
	// Consume the link only once the input is valid, exactly once, and only
	// while the tenant has no owner: one store transaction checks, consumes
	// and creates, so two links cannot make two owners.
	u := &store.User{ID: store.NewID(), TenantID: p.tenant.ID, Email: email, Name: name, Role: store.RoleOwner,
		PasswordHash: hash, PasswordChangedAt: now, CreatedAt: now, UpdatedAt: now}
	err = s.store.CreateFirstOwner(ctx, seal.HashToken(token), u, now)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrOwnerExists):
		s.renderError(w, r, http.StatusBadRequest, "Link not valid",
			"This organisation already has an owner, so setup links no longer work. Ask the owner to invite you.")
		return
	case errors.Is(err, store.ErrConflict):
		s.renderError(w, r, http.StatusConflict, "Account exists", "A user with this email already exists in this organisation.")
		return
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAlreadyUsed), errors.Is(err, store.ErrExpired):
		s.renderError(w, r, http.StatusBadRequest, "Link not valid",
			"This setup link is unknown, expired or was already used. Restart Gatehouse in dev mode, or run `gatehouse user create --role owner`, to get a new one.")
		return
	default:
		s.pages.Unavailable(w, r, "setup: create owner", err)
		return
	}
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.UserCreated, UserID: u.ID, Detail: map[string]string{"via": "setup_link", "role": u.Role}})
	s.render(w, http.StatusOK, "message", &pageData{Title: "Owner account created", TenantName: p.tenant.Name,
		Message: fmt.Sprintf("%s is the owner of %s. Register your helpdesk app as an OpenID client with issuer %s, then sign in from it.",
			email, p.tenant.Name, s.tenantURL(p.tenant.Slug))})
}
