package oidc

import (
	"context"
	"log/slog"
	"strings"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/internal/cfgcheck"
)

// DefaultScopes are requested on every login.
var DefaultScopes = []string{"openid", "email", "profile"}

// Config configures a generic OpenID Connect connection.
type Config struct {
	federation.OAuthClient
	// Issuer is the upstream issuer; discovery is fetched from
	// {Issuer}/.well-known/openid-configuration and must advertise exactly
	// this issuer.
	Issuer string `json:"issuer"`
	// ExtraScopes are requested in addition to DefaultScopes.
	ExtraScopes []string `json:"extra_scopes,omitempty"`
	// DisableUserInfo turns off the userinfo fallback for email and
	// email_verified (see the package doc).
	DisableUserInfo bool `json:"disable_userinfo,omitempty"`
}

// Kind is federation.KindOIDC.
func (Config) Kind() federation.Kind { return federation.KindOIDC }

// LogValue logs the configuration with the client secret redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("client", c.OAuthClient), slog.String("issuer", c.Issuer),
		slog.Any("extra_scopes", c.ExtraScopes), slog.Bool("disable_userinfo", c.DisableUserInfo))
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	p := cfgcheck.New(string(federation.KindOIDC))
	p.Client(c.ConnectionID, c.ClientID, c.ClientSecret.Reveal(), c.RedirectURL)
	p.URL("issuer", c.Issuer)
	for _, s := range c.ExtraScopes {
		if s == "" || strings.ContainsAny(s, " \t\"") {
			p.Addf("extra_scopes", "must list single scope tokens but it contains '%s'", s)
		}
	}
	return p.Err()
}

// Open validates c, performs discovery and returns the connector.
func (c Config) Open(ctx context.Context, env federation.Env) (federation.Connector, error) {
	return Open(ctx, c, env, Options{UserInfoFallback: !c.DisableUserInfo})
}
