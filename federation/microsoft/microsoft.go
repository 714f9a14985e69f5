package microsoft

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/internal/cfgcheck"
	"github.com/gatehouse-idp/gatehouse/federation/oidc"
)

// DefaultIssuerBase is the Entra ID (global cloud) login host.
const DefaultIssuerBase = "https://login.microsoftonline.com"

// TenantPlaceholder is the literal Entra puts in multi-tenant issuers.
const TenantPlaceholder = "{tenantid}"

// Multi-tenant values of Config.Tenant.
const (
	TenantOrganizations = "organizations" // any work or school account
	TenantCommon        = "common"        // work, school and personal accounts
)

// Config configures an Entra ID connection.
type Config struct {
	federation.OAuthClient
	// Tenant is "organizations" or "common" (multi-tenant app), a tenant
	// GUID, or a verified domain of the tenant (single-tenant app).
	Tenant string `json:"tenant"`
	// AllowedTenantIDs are the tenant GUIDs admitted by a multi-tenant
	// connection (required there). For a single-tenant connection it may
	// be empty or list just that tenant.
	AllowedTenantIDs []string `json:"allowed_tenant_ids,omitempty"`
	// AllowedDomains are email domains whose addresses count as verified
	// when the token lacks xms_edov=true (see the package doc). They do not
	// restrict who may sign in.
	AllowedDomains []string `json:"allowed_domains,omitempty"`
	// IssuerBase overrides DefaultIssuerBase (national clouds, tests).
	IssuerBase string `json:"issuer_base,omitempty"`
}

// Kind is federation.KindMicrosoft.
func (Config) Kind() federation.Kind { return federation.KindMicrosoft }

func (c Config) base() string {
	if c.IssuerBase == "" {
		return DefaultIssuerBase
	}
	return strings.TrimSuffix(c.IssuerBase, "/")
}

func (c Config) tenant() string { return strings.ToLower(strings.TrimSpace(c.Tenant)) }

func (c Config) multiTenant() bool {
	t := c.tenant()
	return t == TenantOrganizations || t == TenantCommon
}

// LogValue logs the configuration with the client secret redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("client", c.OAuthClient), slog.String("tenant", c.Tenant),
		slog.Any("allowed_tenant_ids", c.AllowedTenantIDs), slog.Any("allowed_domains", c.AllowedDomains),
		slog.String("issuer_base", c.base()))
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	p := cfgcheck.New(string(federation.KindMicrosoft))
	p.Client(c.ConnectionID, c.ClientID, c.ClientSecret.Reveal(), c.RedirectURL)
	if c.IssuerBase != "" {
		p.URL("issuer_base", c.IssuerBase)
		if u, err := url.Parse(c.IssuerBase); err == nil && strings.Trim(u.Path, "/") != "" {
			p.Addf("issuer_base", "must be a bare origin such as '%s' but it's configured as '%s'", DefaultIssuerBase, c.IssuerBase)
		}
	}
	t := c.tenant()
	allowed := cfgcheck.Lower(c.AllowedTenantIDs)
	switch {
	case t == "":
		p.Addf("tenant", "must be set to 'organizations', 'common', a tenant GUID or a tenant domain")
	case c.multiTenant():
		if len(allowed) == 0 {
			p.Addf("allowed_tenant_ids", "must list the tenant GUIDs that may sign in when tenant is '%s' "+
				"(otherwise every Entra tenant in the world could)", t)
		}
	case cfgcheck.IsGUID(t):
		if len(allowed) > 0 && !(len(allowed) == 1 && allowed[0] == t) {
			p.Addf("allowed_tenant_ids", "must be empty or list only '%s' for a single-tenant connection but it's configured as '%s'",
				t, strings.Join(c.AllowedTenantIDs, ","))
		}
	case cfgcheck.IsDomain(t):
	default:
		p.Addf("tenant", "must be 'organizations', 'common', a tenant GUID or a tenant domain but it's configured as '%s'", c.Tenant)
	}
	for _, id := range allowed {
		if !cfgcheck.IsGUID(id) {
			p.Addf("allowed_tenant_ids", "must list tenant GUIDs but it contains '%s'", id)
		}
	}
	p.Domains("allowed_domains", cfgcheck.Lower(c.AllowedDomains))
	return p.Err()
}

// Connector is the Entra ID connector.
type Connector struct {
	*oidc.Connector
	template string          // "{base}/{tenantid}/v2.0"
	allowed  map[string]bool // tenant GUIDs admitted
	domains  []string        // AllowedDomains, lower-cased
}

var _ federation.Connector = (*Connector)(nil)

// Open validates c, runs discovery at {base}/{tenant}/v2.0 and resolves
// which tenants the connection admits.
func (c Config) Open(ctx context.Context, env federation.Env) (federation.Connector, error) {
	return open(ctx, c, env)
}

func open(ctx context.Context, c Config, env federation.Env) (*Connector, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	base := c.base()
	m := &Connector{
		template: base + "/" + TenantPlaceholder + "/v2.0",
		allowed:  map[string]bool{},
		domains:  cfgcheck.Lower(c.AllowedDomains),
	}
	conn, err := oidc.Open(ctx,
		oidc.Config{OAuthClient: c.OAuthClient, Issuer: base + "/" + c.tenant() + "/v2.0", DisableUserInfo: true},
		env,
		oidc.Options{Kind: federation.KindMicrosoft, SkipIssuerCheck: true, Finish: m.finish},
	)
	if err != nil {
		return nil, err
	}
	m.Connector = conn

	discovered := conn.DiscoveredIssuer()
	switch {
	case discovered == m.template:
		if !c.multiTenant() {
			return nil, fmt.Errorf("%w: discovery for single tenant %q advertises the multi-tenant issuer %q",
				federation.ErrIssuerMismatch, c.tenant(), discovered)
		}
		for _, id := range cfgcheck.Lower(c.AllowedTenantIDs) {
			m.allowed[id] = true
		}
	default:
		tid, ok := tenantOf(discovered, base)
		if !ok || c.multiTenant() {
			return nil, fmt.Errorf("%w: discovery for tenant %q advertises issuer %q, want %q or %q",
				federation.ErrIssuerMismatch, c.tenant(), discovered, m.template, base+"/<tenant-guid>/v2.0")
		}
		if cfgcheck.IsGUID(c.tenant()) && tid != c.tenant() {
			return nil, fmt.Errorf("%w: discovery for tenant %q advertises issuer %q", federation.ErrIssuerMismatch, c.tenant(), discovered)
		}
		if allow := cfgcheck.Lower(c.AllowedTenantIDs); len(allow) > 0 && !slices.Contains(allow, tid) {
			return nil, fmt.Errorf("%w: tenant %q resolves to %s, which allowed_tenant_ids does not list",
				federation.ErrTenantNotAllowed, c.tenant(), tid)
		}
		m.allowed[tid] = true
	}
	return m, nil
}

// tenantOf extracts the tenant GUID from "{base}/{guid}/v2.0".
func tenantOf(issuer, base string) (string, bool) {
	rest, ok := strings.CutPrefix(issuer, base+"/")
	if !ok {
		return "", false
	}
	tid, ok := strings.CutSuffix(rest, "/v2.0")
	return tid, ok && cfgcheck.IsGUID(tid)
}

// finish runs after signature, aud, exp, iat and nonce passed.
func (m *Connector) finish(c oidc.Claims, id *federation.Identity) error {
	if !cfgcheck.IsGUID(c.TenantID) {
		return fmt.Errorf("%w: tid claim missing or not a tenant GUID", federation.ErrTokenInvalid)
	}
	want := strings.ReplaceAll(m.template, TenantPlaceholder, c.TenantID)
	if c.Issuer != want {
		return fmt.Errorf("%w: iss %q is not %q (the issuer for the token's tid)", federation.ErrIssuerMismatch, c.Issuer, want)
	}
	if !m.allowed[c.TenantID] {
		return fmt.Errorf("%w: tid %s", federation.ErrTenantNotAllowed, c.TenantID)
	}
	if !cfgcheck.IsGUID(c.ObjectID) {
		return fmt.Errorf("%w: oid claim missing or not a GUID", federation.ErrTokenInvalid)
	}
	id.Issuer = c.Issuer
	id.Subject = c.TenantID + ":" + c.ObjectID
	id.TenantID = c.TenantID
	id.ObjectID = c.ObjectID
	id.EmailVerified = m.emailVerified(c)
	return nil
}

// emailVerified: xms_edov true, or the email's domain is in AllowedDomains.
func (m *Connector) emailVerified(c oidc.Claims) bool {
	if c.Email == "" {
		return false
	}
	if c.EmailDomainOwnerVerified != nil && *c.EmailDomainOwnerVerified {
		return true
	}
	at := strings.LastIndexByte(c.Email, '@')
	if at < 0 {
		return false
	}
	return slices.Contains(m.domains, strings.ToLower(c.Email[at+1:]))
}
