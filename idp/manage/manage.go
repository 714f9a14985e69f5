package manage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/keys"
	"github.com/gatehouse-idp/gatehouse/idp/password"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/tenant"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
)

// Store is what the management service reads and writes: the aggregates it
// manages whole (tenants, users, clients, connections, known devices and
// their blocks), and the few methods it needs of the others.
type Store interface {
	store.Tenants
	store.Users
	store.Clients
	store.Connections
	store.Devices
	store.DeviceCentre
	// SetBackchannelLogoutURI (store.ClientLogouts) registers a new client's back-channel URI.
	SetBackchannelLogoutURI(ctx context.Context, tenantID, clientID, uri string) error
	// ConnectionSessionIDs (store.Links) finds the sessions a connection created.
	ConnectionSessionIDs(ctx context.Context, tenantID, connectionID string) ([]string, error)
	// SessionByID and EndSession (store.Sessions) end those sessions.
	SessionByID(ctx context.Context, tenantID, id string) (*store.Session, error)
	EndSession(ctx context.Context, tenantID, id, reason string, now time.Time) error
	// CreateActionToken (store.ActionTokens) stores a first-owner setup link.
	CreateActionToken(ctx context.Context, t *store.ActionToken) error
}

// Service holds the management operations. The fields are its
// dependencies; the composition root (package idp) fills them all.
type Service struct {
	Store    Store
	Tenants  *tenant.Tenants // UpdateTenant drops this process's cached copy
	Keys     *keys.Manager
	Hasher   *password.Hasher
	Sessions *session.Service
	Upstream *upstream.Service
	Audit    *audit.Recorder
	Clock    func() time.Time
	Rand     io.Reader
	// TenantURL is a tenant's issuer ({public_url}/t/{slug}).
	TenantURL func(slug string) string
	// Locate names the location of a client address (the root's
	// Options.Locate, the same locator the sign-in's second-factor step
	// uses): the device centre compares it with the known locations.
	Locate func(ip netip.Addr) (key, label string)
	// ResetFactors removes every second factor, backup code and remembered
	// device of u and ends their sessions (factors.Service.ResetMFA; manage
	// may not import idp/factors).
	ResetFactors func(ctx context.Context, t *store.Tenant, u *store.User) (int64, error)
	// ClearFailures clears the brute-force counters of u and email
	// (factors.Service.ClearFailures).
	ClearFailures func(ctx context.Context, tenantID string, u *store.User, email string) (int64, error)
}

// Management operations shared by the CLI and the admin API. Each validates
// all of its input first and reports every problem at once; nothing is
// written unless everything is valid.

// InputError lists what is wrong with a management request.
type InputError struct{ Problems []string }

func (e *InputError) Error() string { return strings.Join(e.Problems, "; ") }

func inputErr(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return &InputError{Problems: problems}
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// CreateTenant creates a tenant and its first signing key.
func (s *Service) CreateTenant(ctx context.Context, slug, name string) (*store.Tenant, error) {
	var p []string
	if !slugRE.MatchString(slug) {
		p = append(p, fmt.Sprintf("slug %q must be 1-40 lowercase letters, digits or hyphens, not starting or ending with a hyphen", slug))
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		p = append(p, "name is required (at most 200 characters)")
	}
	if err := inputErr(p); err != nil {
		return nil, err
	}
	now := s.Clock()
	t := &store.Tenant{ID: store.NewID(), Slug: slug, Name: name, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreateTenant(ctx, t); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &InputError{Problems: []string{fmt.Sprintf("a tenant with slug %q already exists", slug)}}
		}
		return nil, err
	}
	if _, err := s.Keys.SigningKey(ctx, t.ID); err != nil {
		return nil, fmt.Errorf("first signing key: %w", err)
	}
	s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.TenantCreated, Detail: map[string]string{"slug": slug}})
	return t, nil
}

// TenantBySlug resolves a tenant for management commands.
func (s *Service) TenantBySlug(ctx context.Context, slug string) (*store.Tenant, error) {
	t, err := s.Store.TenantBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &InputError{Problems: []string{fmt.Sprintf("no tenant with slug %q", slug)}}
	}
	return t, err
}

// ClientSpec describes a new relying party.
type ClientSpec struct {
	Name                   string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	Public                 bool
	AppType                string // web | native | spa; default web, native when Public
	Grants                 []string
	// BackchannelLogoutURI receives OpenID Connect back-channel logout
	// tokens when a session that signed into the client ends (optional).
	BackchannelLogoutURI string
	// Scopes are Gatehouse scopes the client's own tokens may carry
	// (store.GrantableScopes; client_credentials only).
	Scopes []string
}

// CreateClient registers a relying party. It returns the client and, for a
// confidential client, its secret — shown once, stored only as SHA-256.
func (s *Service) CreateClient(ctx context.Context, tenantID string, spec ClientSpec) (*store.Client, string, error) {
	if len(spec.Grants) == 0 {
		spec.Grants = []string{store.GrantAuthorizationCode, store.GrantRefreshToken}
	}
	if spec.AppType == "" {
		spec.AppType = store.AppWeb
		if spec.Public {
			spec.AppType = store.AppNative
		}
	}
	if err := validateClientSpec(&spec); err != nil {
		return nil, "", err
	}
	if spec.BackchannelLogoutURI != "" {
		if err := session.CheckBackchannelURI(spec.BackchannelLogoutURI); err != nil {
			return nil, "", &InputError{Problems: []string{fmt.Sprintf("back-channel logout URI %q: %v", spec.BackchannelLogoutURI, err)}}
		}
	}
	now := s.Clock()
	c := &store.Client{
		ID: store.NewID(), TenantID: tenantID, Name: strings.TrimSpace(spec.Name), Public: spec.Public, AppType: spec.AppType,
		RedirectURIs: spec.RedirectURIs, PostLogoutRedirectURIs: spec.PostLogoutRedirectURIs, GrantTypes: spec.Grants,
		Scopes: spec.Scopes, CreatedAt: now, UpdatedAt: now,
	}
	secret := ""
	if !spec.Public {
		var err error
		if secret, err = seal.RandomToken(s.Rand, 32); err != nil {
			return nil, "", err
		}
		c.SecretHash = seal.HashToken(secret)
	}
	if err := s.Store.CreateClient(ctx, c); err != nil {
		return nil, "", err
	}
	if spec.BackchannelLogoutURI != "" {
		if err := s.Store.SetBackchannelLogoutURI(ctx, tenantID, c.ID, spec.BackchannelLogoutURI); err != nil {
			return nil, "", fmt.Errorf("back-channel logout URI: %w", err)
		}
	}
	s.Audit.Record(ctx, &store.AuditEvent{TenantID: tenantID, Type: audit.ClientCreated, ClientID: c.ID, Detail: map[string]string{"name": c.Name}})
	return c, secret, nil
}

func validateClientSpec(spec *ClientSpec) error {
	var p []string
	if n := strings.TrimSpace(spec.Name); n == "" || len(n) > 200 {
		p = append(p, "name is required (at most 200 characters)")
	}
	if !slices.Contains([]string{store.AppWeb, store.AppNative, store.AppSPA}, spec.AppType) {
		p = append(p, fmt.Sprintf("app type %q must be web, native or spa", spec.AppType))
	}
	if spec.AppType == store.AppSPA && !spec.Public {
		p = append(p, "an spa client runs in the browser and cannot keep a secret: add --public")
	}
	if spec.AppType == store.AppNative && !spec.Public {
		p = append(p, "a native client cannot keep a secret: add --public")
	}
	seen := map[string]bool{}
	for _, g := range spec.Grants {
		switch g {
		case store.GrantAuthorizationCode, store.GrantRefreshToken, store.GrantClientCredentials:
		default:
			p = append(p, fmt.Sprintf("grant %q must be authorization_code, refresh_token or client_credentials", g))
		}
		if seen[g] {
			p = append(p, fmt.Sprintf("grant %q is listed twice", g))
		}
		seen[g] = true
	}
	code, cc := seen[store.GrantAuthorizationCode], seen[store.GrantClientCredentials]
	if seen[store.GrantRefreshToken] && !code {
		p = append(p, "the refresh_token grant needs authorization_code (refresh tokens come from user sign-ins)")
	}
	if cc && spec.Public {
		p = append(p, "a public client cannot use client_credentials: it has no secret")
	}
	if code && len(spec.RedirectURIs) == 0 {
		p = append(p, "authorization_code needs at least one --redirect-uri")
	}
	if !code && len(spec.RedirectURIs)+len(spec.PostLogoutRedirectURIs) > 0 {
		p = append(p, "redirect URIs are only for clients that sign users in (authorization_code); a client_credentials-only client must not have any")
	}
	for _, u := range spec.RedirectURIs {
		if err := checkRedirectURI(u, spec.AppType); err != nil {
			p = append(p, fmt.Sprintf("redirect URI %q: %v", u, err))
		}
	}
	for _, u := range spec.PostLogoutRedirectURIs {
		if err := checkRedirectURI(u, spec.AppType); err != nil {
			p = append(p, fmt.Sprintf("post-logout redirect URI %q: %v", u, err))
		}
	}
	scopes := map[string]bool{}
	for _, sc := range spec.Scopes {
		if !slices.Contains(store.GrantableScopes, sc) {
			p = append(p, fmt.Sprintf("scope %q is not one a client may be granted (%s)", sc, strings.Join(store.GrantableScopes, ", ")))
		}
		if scopes[sc] {
			p = append(p, fmt.Sprintf("scope %q is listed twice", sc))
		}
		scopes[sc] = true
	}
	if len(spec.Scopes) > 0 && !cc {
		p = append(p, "scopes are for the client's own tokens: they need the client_credentials grant")
	}
	return inputErr(p)
}

// checkRedirectURI enforces registration rules: absolute, no fragment, no
// wildcard, no userinfo; https, or http on a loopback address; native apps
// may also use a private-use scheme (RFC 8252 7.1).
func checkRedirectURI(raw, appType string) error {
	if len(raw) > tenant.MaxRedirectURILen {
		return errors.New("too long")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return errors.New("must be an absolute URI")
	}
	switch {
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return errors.New("must not have a fragment")
	case strings.Contains(raw, "*"):
		return errors.New("must not contain wildcards: Gatehouse matches redirect URIs exactly")
	case u.User != nil:
		return errors.New("must not contain user information (user@)")
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return errors.New("needs a host")
		}
		return nil
	case "http":
		if tenant.IsLoopbackHost(u.Hostname()) || u.Hostname() == "localhost" {
			return nil
		}
		return errors.New("http is allowed only for loopback addresses (127.0.0.1, [::1], localhost); use https")
	}
	if appType == store.AppNative && strings.Contains(u.Scheme, ".") {
		return nil
	}
	return fmt.Errorf("scheme %q is not allowed (https; native apps may use a reverse-domain scheme such as com.example.app)", u.Scheme)
}

// UserSpec describes a new user.
type UserSpec struct {
	Email    string
	Name     string
	Role     string // default agent
	Password string // optional; checked against the password policy
}

// CreateUser creates a user, hashing the password when one is given.
func (s *Service) CreateUser(ctx context.Context, t *store.Tenant, spec UserSpec) (*store.User, error) {
	email := strings.ToLower(strings.TrimSpace(spec.Email))
	if spec.Role == "" {
		spec.Role = store.RoleAgent
	}
	var p []string
	if err := ValidEmail(email); err != nil {
		p = append(p, fmt.Sprintf("email %q: %v", spec.Email, err))
	}
	if !store.ValidRole(spec.Role) {
		p = append(p, fmt.Sprintf("role %q must be owner, admin or agent", spec.Role))
	}
	if len(spec.Name) > 200 {
		p = append(p, "name is too long (200 characters at most)")
	}
	if spec.Password != "" {
		if err := PasswordPolicy(t.Settings).Check(spec.Password, UserInputs(t, email, spec.Name)); err != nil {
			p = append(p, "password: "+err.Error())
		}
	}
	if err := inputErr(p); err != nil {
		return nil, err
	}
	now := s.Clock()
	u := &store.User{ID: store.NewID(), TenantID: t.ID, Email: email, Name: strings.TrimSpace(spec.Name), Role: spec.Role,
		CreatedAt: now, UpdatedAt: now}
	if spec.Password != "" {
		h, err := s.Hasher.Hash(ctx, policy.NormalizePassword(spec.Password))
		if err != nil {
			return nil, err
		}
		u.PasswordHash, u.PasswordChangedAt = h, now
	}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &InputError{Problems: []string{fmt.Sprintf("a user with email %q already exists in tenant %s", email, t.Slug)}}
		}
		return nil, err
	}
	s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.UserCreated, UserID: u.ID, Detail: map[string]string{"via": "cli", "role": u.Role}})
	return u, nil
}

// RotateKeys creates a new signing key for the tenant; the old ones stay in
// the JWKS until tokens they signed have expired.
func (s *Service) RotateKeys(ctx context.Context, t *store.Tenant) (string, error) {
	kid, err := s.Keys.Rotate(ctx, t.ID)
	if err != nil {
		return "", err
	}
	s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.KeysRotated, Detail: map[string]string{"kid": kid}})
	return kid, nil
}

// EnsureTenant returns the tenant with slug, creating it when missing (dev start-up).
func (s *Service) EnsureTenant(ctx context.Context, slug, name string) (*store.Tenant, error) {
	t, err := s.Store.TenantBySlug(ctx, slug)
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return s.CreateTenant(ctx, slug, name)
}

// UpdateTenant saves a tenant's name and settings and drops this process's
// cached copy (other replicas see the change within the cache lifetime).
func (s *Service) UpdateTenant(ctx context.Context, t *store.Tenant) error {
	t.UpdatedAt = s.Clock()
	if err := s.Store.UpdateTenant(ctx, t); err != nil {
		return err
	}
	s.Tenants.Forget(t)
	s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.TenantUpdated})
	return nil
}

// ResetMFA removes every second factor, backup code and remembered device of
// the user an email names and ends their sessions (an administrator's
// recovery for a user who lost their factors: factors.Service.ResetMFA). It
// returns how many factors it removed.
func (s *Service) ResetMFA(ctx context.Context, t *store.Tenant, email string) (int64, error) {
	u, err := s.Store.UserByEmail(ctx, t.ID, strings.ToLower(strings.TrimSpace(email)))
	if errors.Is(err, store.ErrNotFound) {
		return 0, &InputError{Problems: []string{fmt.Sprintf("no user with email %q in tenant %q", email, t.Slug)}}
	}
	if err != nil {
		return 0, err
	}
	return s.ResetFactors(ctx, t, u)
}

// UnlockUser clears the brute-force counters of the account an email names
// (the user's id and the email itself). It reports how many counters were
// cleared.
func (s *Service) UnlockUser(ctx context.Context, t *store.Tenant, email string) (int64, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := s.Store.UserByEmail(ctx, t.ID, email)
	if err != nil {
		return 0, &InputError{Problems: []string{fmt.Sprintf("no user with email %q in tenant %s", email, t.Slug)}}
	}
	n, err := s.ClearFailures(ctx, t.ID, u, email)
	if err != nil {
		return 0, err
	}
	s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.LoginUnlocked, UserID: u.ID, Detail: map[string]string{"via": "cli"}})
	return n, nil
}
