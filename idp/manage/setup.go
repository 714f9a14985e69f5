package manage

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The first owner of a tenant: a single-use setup link (the setup page that
// consumes it is the sign-in pages'), and the email rule every form that
// takes an address applies.

// setupLinkTTL is how long a first-owner link works.
const setupLinkTTL = 24 * time.Hour

// SetupLink creates a single-use link that lets the first owner of a tenant
// set their email and password. It returns "" when the tenant has an owner.
func (s *Service) SetupLink(ctx context.Context, tenantID string) (string, error) {
	t, err := s.Store.TenantByID(ctx, tenantID)
	if err != nil {
		return "", err
	}
	has, err := s.hasOwner(ctx, tenantID)
	if err != nil || has {
		return "", err
	}
	token, err := seal.RandomToken(s.Rand, 32)
	if err != nil {
		return "", err
	}
	now := s.Clock()
	err = s.Store.CreateActionToken(ctx, &store.ActionToken{
		Hash: seal.HashToken(token), TenantID: tenantID, Kind: store.ActionSetupOwner,
		CreatedAt: now, ExpiresAt: now.Add(setupLinkTTL),
	})
	if err != nil {
		return "", err
	}
	return s.TenantURL(t.Slug) + "/setup?token=" + token, nil
}

func (s *Service) hasOwner(ctx context.Context, tenantID string) (bool, error) {
	users, err := s.Store.ListUsers(ctx, tenantID)
	if err != nil {
		return false, err
	}
	for _, u := range users {
		if u.Role == store.RoleOwner {
			return true, nil
		}
	}
	return false, nil
}

// ValidEmail accepts a bare address (no display name), at most 254 bytes.
func ValidEmail(email string) error {
	if email == "" {
		return errors.New("Enter an email address.")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > web.MaxEmailLen || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") && !strings.HasSuffix(email, "@localhost") {
		return errors.New("Enter a valid email address, like agent@example.com.")
	}
	return nil
}
