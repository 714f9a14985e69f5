package manage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
)

// Upstream connections ("Sign in with Google / Office 365 / OIDC"), managed
// by the CLI (and later the admin API). Each operation validates all of its
// input first, reports every problem at once and writes nothing unless all
// is valid. The client secret is sealed at rest and never returned.

// ConnectionSpec describes a new connection.
type ConnectionSpec struct {
	Kind         string // google | microsoft | oidc
	Name         string // default: "Google", "Office 365", or the issuer's host
	ClientID     string
	ClientSecret string
	// Issuer: the OIDC issuer (oidc, required), an override of
	// https://accounts.google.com (google), or of the Entra login host
	// https://login.microsoftonline.com (microsoft: national clouds).
	Issuer            string
	HostedDomains     []string // google: allowed hd values
	EntraTenant       string   // microsoft: organizations | common | tenant id or domain
	AllowedTenantIDs  []string // microsoft
	AllowedDomains    []string // microsoft: email domains that count as verified
	JIT               bool
	DefaultRole       string // default agent
	LinkMode          string // default none
	AcceptUpstreamMFA bool
}

// ConnectionChange is a partial update: nil fields stay as they are.
type ConnectionChange struct {
	Name              *string
	ClientID          *string
	ClientSecret      *string
	Issuer            *string
	HostedDomains     *[]string
	EntraTenant       *string
	AllowedTenantIDs  *[]string
	AllowedDomains    *[]string
	JIT               *bool
	DefaultRole       *string
	LinkMode          *string
	AcceptUpstreamMFA *bool
}

// ConnectionView is a connection as the CLI shows it: no secret.
type ConnectionView struct {
	ID                string    `json:"id"`
	Tenant            string    `json:"tenant"`
	Kind              string    `json:"kind"`
	Name              string    `json:"name"`
	ClientID          string    `json:"client_id"`
	Issuer            string    `json:"issuer,omitempty"`
	HostedDomains     []string  `json:"hosted_domains,omitempty"`
	EntraTenant       string    `json:"entra_tenant,omitempty"`
	AllowedTenantIDs  []string  `json:"allowed_tenant_ids,omitempty"`
	AllowedDomains    []string  `json:"allowed_domains,omitempty"`
	Enabled           bool      `json:"enabled"`
	JIT               bool      `json:"jit"`
	DefaultRole       string    `json:"default_role"`
	LinkMode          string    `json:"link_mode"`
	AcceptUpstreamMFA bool      `json:"accept_upstream_mfa"`
	RedirectURI       string    `json:"redirect_uri"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

func defaultConnectionName(kind, issuer string) string {
	switch kind {
	case store.ConnectionGoogle:
		return "Google"
	case store.ConnectionMicrosoft:
		return "Office 365"
	}
	if u, err := url.Parse(issuer); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "Single sign-on"
}

func (s *Service) view(t *store.Tenant, c *store.Connection) *ConnectionView {
	st, _ := upstream.SettingsOf(c) // stored by this file; a broken row shows empty settings
	v := &ConnectionView{
		ID: c.ID, Tenant: t.Slug, Kind: c.Kind, Name: c.Name, ClientID: st.ClientID, Issuer: st.Issuer,
		HostedDomains: st.AllowedHostedDomains, EntraTenant: st.Tenant, AllowedTenantIDs: st.AllowedTenantIDs,
		AllowedDomains: st.AllowedDomains, Enabled: c.Enabled, JIT: c.JIT, DefaultRole: c.DefaultRole,
		LinkMode: c.LinkMode, AcceptUpstreamMFA: c.AcceptUpstreamMFA,
		RedirectURI: s.Upstream.RedirectURI(t.Slug, c.ID), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if c.Kind == store.ConnectionMicrosoft {
		v.Issuer = st.IssuerBase
	}
	return v
}

func cleanList(l []string) []string {
	var out []string
	for _, v := range l {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// applySettings writes the kind's settings into st and reports options that
// do not belong to the kind.
func applySettings(kind string, st *upstream.Settings, ch ConnectionChange) []string {
	var p []string
	if ch.ClientID != nil {
		st.ClientID = strings.TrimSpace(*ch.ClientID)
	}
	notFor := func(flag string) {
		p = append(p, fmt.Sprintf("%s is not an option of %s connections", flag, kind))
	}
	if ch.Issuer != nil {
		v := strings.TrimSpace(*ch.Issuer)
		if kind == store.ConnectionMicrosoft {
			st.IssuerBase = strings.TrimSuffix(v, "/")
		} else {
			st.Issuer = v
		}
	}
	if ch.HostedDomains != nil {
		if kind != store.ConnectionGoogle {
			notFor("--hosted-domain")
		} else {
			st.AllowedHostedDomains = cleanList(*ch.HostedDomains)
		}
	}
	if ch.EntraTenant != nil {
		if kind != store.ConnectionMicrosoft {
			notFor("--entra-tenant")
		} else {
			st.Tenant = strings.TrimSpace(*ch.EntraTenant)
		}
	}
	if ch.AllowedTenantIDs != nil {
		if kind != store.ConnectionMicrosoft {
			notFor("--allowed-tenant-id")
		} else {
			st.AllowedTenantIDs = cleanList(*ch.AllowedTenantIDs)
		}
	}
	if ch.AllowedDomains != nil {
		if kind != store.ConnectionMicrosoft {
			notFor("--allowed-domain")
		} else {
			st.AllowedDomains = cleanList(*ch.AllowedDomains)
		}
	}
	return p
}

// CreateConnection validates spec, seals the secret and stores a new,
// enabled connection.
func (s *Service) CreateConnection(ctx context.Context, t *store.Tenant, spec ConnectionSpec) (*ConnectionView, error) {
	now := s.Clock()
	kind := strings.ToLower(strings.TrimSpace(spec.Kind))
	c := &store.Connection{
		ID: store.NewID(), TenantID: t.ID, Kind: kind, Name: strings.TrimSpace(spec.Name), Enabled: true,
		JIT: spec.JIT, DefaultRole: spec.DefaultRole, LinkMode: spec.LinkMode, AcceptUpstreamMFA: spec.AcceptUpstreamMFA,
		CreatedAt: now, UpdatedAt: now,
	}
	if c.DefaultRole == "" {
		c.DefaultRole = store.RoleAgent
	}
	if c.LinkMode == "" {
		c.LinkMode = string(federation.LinkModeNone)
	}
	if c.Name == "" {
		c.Name = defaultConnectionName(kind, spec.Issuer)
	}
	ch := ConnectionChange{ClientID: &spec.ClientID}
	if spec.Issuer != "" {
		ch.Issuer = &spec.Issuer
	}
	if spec.HostedDomains != nil {
		ch.HostedDomains = &spec.HostedDomains
	}
	if spec.EntraTenant != "" {
		ch.EntraTenant = &spec.EntraTenant
	}
	if spec.AllowedTenantIDs != nil {
		ch.AllowedTenantIDs = &spec.AllowedTenantIDs
	}
	if spec.AllowedDomains != nil {
		ch.AllowedDomains = &spec.AllowedDomains
	}
	var st upstream.Settings
	p := applySettings(kind, &st, ch)
	c.Config, _ = json.Marshal(st) // a struct of strings always marshals
	p = append(p, s.Upstream.Validate(t.Slug, c, spec.ClientSecret)...)
	if err := inputErr(p); err != nil {
		return nil, err
	}
	sealed, err := s.Upstream.SealSecret(t, c, spec.ClientSecret)
	if err != nil {
		return nil, err
	}
	c.SealedSecret = sealed
	if err := s.Store.CreateConnection(ctx, c); err != nil {
		return nil, err
	}
	s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.ConnectionCreated,
		Detail: map[string]string{"connection_id": c.ID, "kind": c.Kind, "link_mode": c.LinkMode, "jit": fmt.Sprint(c.JIT)}})
	return s.view(t, c), nil
}

// connectionOf loads a connection of the tenant or reports it as an input problem.
func (s *Service) connectionOf(ctx context.Context, t *store.Tenant, id string) (*store.Connection, error) {
	c, err := s.Store.ConnectionByID(ctx, t.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &InputError{Problems: []string{fmt.Sprintf("no connection %q in tenant %s", id, t.Slug)}}
	}
	return c, err
}

// UpdateConnection applies ch to the connection and stores it after
// validating the result as a whole.
func (s *Service) UpdateConnection(ctx context.Context, t *store.Tenant, id string, ch ConnectionChange) (*ConnectionView, error) {
	c, err := s.connectionOf(ctx, t, id)
	if err != nil {
		return nil, err
	}
	st, err := upstream.SettingsOf(c)
	if err != nil {
		return nil, fmt.Errorf("connection %s: stored settings: %w", c.ID, err)
	}
	secret := ""
	if ch.ClientSecret != nil {
		secret = *ch.ClientSecret
	} else if secret, err = s.Upstream.OpenSecret(t, c); err != nil {
		return nil, err
	}
	p := applySettings(c.Kind, &st, ch)
	c.Config, _ = json.Marshal(st)
	if ch.Name != nil {
		c.Name = strings.TrimSpace(*ch.Name)
	}
	if ch.JIT != nil {
		c.JIT = *ch.JIT
	}
	if ch.DefaultRole != nil {
		c.DefaultRole = *ch.DefaultRole
	}
	if ch.LinkMode != nil {
		c.LinkMode = *ch.LinkMode
	}
	if ch.AcceptUpstreamMFA != nil {
		c.AcceptUpstreamMFA = *ch.AcceptUpstreamMFA
	}
	p = append(p, s.Upstream.Validate(t.Slug, c, secret)...)
	if err := inputErr(p); err != nil {
		return nil, err
	}
	if ch.ClientSecret != nil {
		if c.SealedSecret, err = s.Upstream.SealSecret(t, c, secret); err != nil {
			return nil, err
		}
	}
	c.UpdatedAt = s.Clock()
	if err := s.Store.UpdateConnection(ctx, c); err != nil {
		return nil, err
	}
	s.Upstream.Forget(t.ID, c.ID)
	s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.ConnectionUpdated,
		Detail: map[string]string{"connection_id": c.ID, "secret_changed": fmt.Sprint(ch.ClientSecret != nil)}})
	return s.view(t, c), nil
}

// SetConnectionEnabled enables or disables a connection. A disabled
// connection signs nobody in and links nothing; with endSessions the
// sessions created through it end too. It returns how many ended.
func (s *Service) SetConnectionEnabled(ctx context.Context, t *store.Tenant, id string, enabled, endSessions bool) (*ConnectionView, int, error) {
	c, err := s.connectionOf(ctx, t, id)
	if err != nil {
		return nil, 0, err
	}
	if enabled && endSessions {
		return nil, 0, &InputError{Problems: []string{"--end-sessions is only for disable and remove"}}
	}
	c.Enabled = enabled
	c.UpdatedAt = s.Clock()
	if err := s.Store.UpdateConnection(ctx, c); err != nil {
		return nil, 0, err
	}
	s.Upstream.Forget(t.ID, c.ID)
	detail := map[string]string{"connection_id": c.ID}
	if enabled {
		s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.ConnectionEnabled, Detail: detail})
	} else {
		s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.ConnectionDisabled, Detail: detail})
	}
	n := 0
	if endSessions {
		if n, err = s.endConnectionSessions(ctx, t, c.ID, "connection_disabled"); err != nil {
			return nil, n, err
		}
	}
	return s.view(t, c), n, nil
}

// RemoveConnection deletes a connection and its links; with endSessions the
// sessions created through it end first. It returns how many ended.
func (s *Service) RemoveConnection(ctx context.Context, t *store.Tenant, id string, endSessions bool) (int, error) {
	c, err := s.connectionOf(ctx, t, id)
	if err != nil {
		return 0, err
	}
	n := 0
	if endSessions {
		if n, err = s.endConnectionSessions(ctx, t, c.ID, "connection_removed"); err != nil {
			return n, err
		}
	}
	if err := s.Store.DeleteConnection(ctx, t.ID, c.ID); err != nil {
		return n, err
	}
	s.Upstream.Forget(t.ID, c.ID)
	s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.ConnectionRemoved,
		Detail: map[string]string{"connection_id": c.ID, "kind": c.Kind, "sessions_ended": fmt.Sprint(n)}})
	return n, nil
}

func (s *Service) endConnectionSessions(ctx context.Context, t *store.Tenant, connID, reason string) (int, error) {
	ids, err := s.Store.ConnectionSessionIDs(ctx, t.ID, connID)
	if err != nil {
		return 0, err
	}
	now := s.Clock()
	n := 0
	for _, sid := range ids {
		sess, err := s.Store.SessionByID(ctx, t.ID, sid)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, err
		}
		if !sess.Active(now) {
			continue
		}
		if err := s.Store.EndSession(ctx, t.ID, sid, reason, now); err != nil {
			return n, err
		}
		n++
		s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.SessionEnded, UserID: sess.UserID, SessionID: sid,
			Detail: map[string]string{"reason": reason, "connection_id": connID}})
		s.Sessions.NotifyEnded(ctx, t, sess) // its apps get logout tokens
	}
	return n, nil
}

// ListConnections returns the tenant's connections.
func (s *Service) ListConnections(ctx context.Context, t *store.Tenant) ([]*ConnectionView, error) {
	list, err := s.Store.ListConnections(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*ConnectionView, 0, len(list))
	for _, c := range list {
		out = append(out, s.view(t, c))
	}
	return out, nil
}
