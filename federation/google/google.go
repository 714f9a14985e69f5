package google

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/internal/cfgcheck"
	"github.com/gatehouse-idp/gatehouse/federation/oidc"
)

// DefaultIssuer is Google's OpenID issuer.
const DefaultIssuer = "https://accounts.google.com"

// Config configures a Google connection.
type Config struct {
	federation.OAuthClient
	// Issuer overrides DefaultIssuer (tests point it at fedtest).
	Issuer string `json:"issuer,omitempty"`
	// AllowedHostedDomains, when non-empty, admits only Google Workspace
	// accounts whose ID-token hd claim is one of these domains; consumer
	// accounts (no hd) are refused. Empty admits every Google account.
	AllowedHostedDomains []string `json:"allowed_hosted_domains,omitempty"`
}

// Kind is federation.KindGoogle.
func (Config) Kind() federation.Kind { return federation.KindGoogle }

func (c Config) issuer() string {
	if c.Issuer == "" {
		return DefaultIssuer
	}
	return c.Issuer
}

// LogValue logs the configuration with the client secret redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("client", c.OAuthClient), slog.String("issuer", c.issuer()),
		slog.Any("allowed_hosted_domains", c.AllowedHostedDomains))
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	p := cfgcheck.New(string(federation.KindGoogle))
	p.Client(c.ConnectionID, c.ClientID, c.ClientSecret.Reveal(), c.RedirectURL)
	if c.Issuer != "" {
		p.URL("issuer", c.Issuer)
	}
	p.Domains("allowed_hosted_domains", cfgcheck.Lower(c.AllowedHostedDomains))
	return p.Err()
}

// Open validates c, performs discovery and returns the connector.
func (c Config) Open(ctx context.Context, env federation.Env) (federation.Connector, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	domains := cfgcheck.Lower(c.AllowedHostedDomains)
	opts := oidc.Options{
		Kind:   federation.KindGoogle,
		Finish: finish(domains),
	}
	switch len(domains) {
	case 0:
	case 1:
		opts.AuthParams = map[string]string{"hd": domains[0]}
	default:
		opts.AuthParams = map[string]string{"hd": "*"} // any Workspace domain; checked below
	}
	return oidc.Open(ctx, oidc.Config{OAuthClient: c.OAuthClient, Issuer: c.issuer()}, env, opts)
}

// finish enforces the hosted-domain allowlist on the verified token.
func finish(allowed []string) func(oidc.Claims, *federation.Identity) error {
	return func(c oidc.Claims, id *federation.Identity) error {
		hd := strings.ToLower(c.HostedDomain)
		id.HostedDomain = hd
		if len(allowed) == 0 {
			return nil
		}
		if hd == "" {
			return fmt.Errorf("%w: the id token has no hd claim (not a Workspace account)", federation.ErrDomainNotAllowed)
		}
		if !slices.Contains(allowed, hd) {
			return fmt.Errorf("%w: hd %q", federation.ErrDomainNotAllowed, hd)
		}
		return nil
	}
}
