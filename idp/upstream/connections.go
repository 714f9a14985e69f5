package upstream

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/google"
	"github.com/gatehouse-idp/gatehouse/federation/microsoft"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Settings is a connection's stored Config JSON: the kind's settings in the
// JSON names federation/connectors.Decode reads, minus connection_id,
// client_secret and redirect_url, which are filled in when the connector
// is opened.
type Settings struct {
	ClientID             string   `json:"client_id"`
	Issuer               string   `json:"issuer,omitempty"`                 // google, oidc
	AllowedHostedDomains []string `json:"allowed_hosted_domains,omitempty"` // google
	Tenant               string   `json:"tenant,omitempty"`                 // microsoft
	AllowedTenantIDs     []string `json:"allowed_tenant_ids,omitempty"`     // microsoft
	AllowedDomains       []string `json:"allowed_domains,omitempty"`        // microsoft
	IssuerBase           string   `json:"issuer_base,omitempty"`            // microsoft
}

// SettingsOf decodes c's stored settings.
func SettingsOf(c *store.Connection) (Settings, error) {
	var st Settings
	err := json.Unmarshal(c.Config, &st)
	return st, err
}

// maxSecretLen bounds an upstream client secret.
const maxSecretLen = 4096

// flagNames maps connector option names to the CLI flags that set them, so
// problems name what the admin typed.
var flagNames = strings.NewReplacer(
	"option 'client_id'", "option 'client_id' (--client-id)",
	"option 'client_secret'", "option 'client_secret' (--client-secret-stdin)",
	"option 'allowed_hosted_domains'", "option 'allowed_hosted_domains' (--hosted-domain)",
	"option 'tenant'", "option 'tenant' (--entra-tenant)",
	"option 'allowed_tenant_ids'", "option 'allowed_tenant_ids' (--allowed-tenant-id)",
	"option 'allowed_domains'", "option 'allowed_domains' (--allowed-domain)",
	"option 'issuer_base'", "option 'issuer_base' (--issuer)",
	"option 'issuer'", "option 'issuer' (--issuer)",
	"option 'link_mode'", "option 'link_mode' (--link-mode)",
	"option 'default_role'", "option 'default_role' (--default-role)",
)

// configProblems turns a federation validation error into one problem per line.
func configProblems(err error) []string {
	if err == nil {
		return nil
	}
	lines := strings.Split(err.Error(), "\n")
	var out []string
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, flagNames.Replace(l))
		}
	}
	if len(out) == 0 {
		out = append(out, flagNames.Replace(err.Error()))
	}
	return out
}

// Validate checks a whole connection of tenant slug (stored form plus the
// secret) and returns every problem, each a sentence for the admin.
func (s *Service) Validate(slug string, c *store.Connection, secret string) []string {
	var p []string
	switch c.Kind {
	case store.ConnectionGoogle, store.ConnectionMicrosoft, store.ConnectionOIDC:
	default:
		return []string{fmt.Sprintf("kind %q must be google, microsoft or oidc", c.Kind)}
	}
	if n := strings.TrimSpace(c.Name); n == "" || len(n) > 60 {
		p = append(p, "name must be 1 to 60 characters (--name)")
	}
	if len(secret) > maxSecretLen {
		p = append(p, fmt.Sprintf("client secret is longer than %d bytes", maxSecretLen))
	}
	if strings.ContainsAny(secret, "\r\n") {
		p = append(p, "client secret must be one line")
	}
	if !store.ValidRole(c.DefaultRole) {
		p = append(p, fmt.Sprintf("default role %q must be admin or agent (--default-role)", c.DefaultRole))
	}
	pol := federation.LinkPolicy{JITProvisioning: c.JIT, DefaultRole: c.DefaultRole, LinkMode: federation.LinkMode(c.LinkMode)}
	if c.LinkMode == "" {
		p = append(p, "link mode must be none or verified_email_with_proof (--link-mode)")
	}
	p = append(p, configProblems(pol.Validate())...)
	if _, err := s.config(slug, c, secret); err != nil {
		p = append(p, configProblems(err)...)
	}
	return p
}

// LinkPolicy is the connection's linking and provisioning settings.
func LinkPolicy(c *store.Connection) federation.LinkPolicy {
	return federation.LinkPolicy{JITProvisioning: c.JIT, DefaultRole: c.DefaultRole,
		LinkMode: federation.LinkMode(c.LinkMode), ProviderName: c.Name}
}

// Origin is the origin the browser is sent to for c, for the pages'
// form-action CSP (a form POST that redirects elsewhere is checked against
// form-action too); "" when the settings name none usable.
func Origin(c *store.Connection) string {
	st, err := SettingsOf(c)
	if err != nil {
		return ""
	}
	raw := st.Issuer
	switch c.Kind {
	case store.ConnectionGoogle:
		if raw == "" {
			raw = google.DefaultIssuer
		}
	case store.ConnectionMicrosoft:
		raw = st.IssuerBase
		if raw == "" {
			raw = microsoft.DefaultIssuerBase
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
