package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/internal/cfgcheck"
)

// Options let the google and microsoft connectors reuse this one.
type Options struct {
	// Kind is what Connector.Kind reports; "" means federation.KindOIDC.
	Kind federation.Kind
	// AuthParams are added to every authorization URL (Google's hd).
	AuthParams map[string]string
	// UserInfoFallback enables the userinfo fallback for email and
	// email_verified (see the package doc).
	UserInfoFallback bool
	// SkipIssuerCheck accepts any issuer in the discovery document
	// (go-oidc's InsecureIssuerURLContext) and skips go-oidc's exact iss
	// check on ID tokens. Only for Entra's multi-tenant template; Finish
	// MUST then validate Claims.Issuer and set Identity.Issuer. Open refuses
	// SkipIssuerCheck without Finish.
	SkipIssuerCheck bool
	// Finish runs after every generic check passed and may refine the
	// identity or refuse it with a typed error.
	Finish func(c Claims, id *federation.Identity) error
	// KeySet tunes the JWKS cache.
	KeySet KeySetOptions
}

// Connector is a generic OpenID Connect connector; it implements
// federation.Connector.
type Connector struct {
	cfg      Config
	env      federation.Env
	opts     Options
	issuer   string // discovery's issuer value (a template for Entra)
	oauth    oauth2.Config
	provider *gooidc.Provider
	verifier *gooidc.IDTokenVerifier
	keys     *KeySet
	hasUI    bool
}

var _ federation.Connector = (*Connector)(nil)

// discovery is the part of the discovery document read beyond go-oidc.
type discovery struct {
	Issuer           string   `json:"issuer"`
	AuthURL          string   `json:"authorization_endpoint"`
	TokenURL         string   `json:"token_endpoint"`
	JWKSURL          string   `json:"jwks_uri"`
	UserInfoURL      string   `json:"userinfo_endpoint"`
	TokenAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	SigningAlgs      []string `json:"id_token_signing_alg_values_supported"`
}

// Open validates cfg, fetches {Issuer}/.well-known/openid-configuration
// through env.HTTPClient and returns the connector. Discovery problems are
// ErrIssuerMismatch (the document names another issuer) or
// ErrUpstreamUnavailable.
func Open(ctx context.Context, cfg Config, env federation.Env, opts Options) (*Connector, error) {
	if err := env.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.SkipIssuerCheck && opts.Finish == nil {
		return nil, fmt.Errorf("%w: SkipIssuerCheck needs a Finish that validates the issuer", federation.ErrInvalidConfig)
	}
	if opts.Kind == "" {
		opts.Kind = federation.KindOIDC
	}

	dctx := gooidc.ClientContext(ctx, env.HTTPClient)
	if opts.SkipIssuerCheck {
		dctx = gooidc.InsecureIssuerURLContext(dctx, cfg.Issuer)
	}
	provider, err := gooidc.NewProvider(dctx, cfg.Issuer)
	if err != nil {
		var mismatch *gooidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			return nil, fmt.Errorf("%w: discovery for %q advertises issuer %q", federation.ErrIssuerMismatch, mismatch.Provided, mismatch.Discovered)
		}
		return nil, fmt.Errorf("%w: discovery for %q: %s", federation.ErrUpstreamUnavailable, cfg.Issuer, short(discoveryError(err)))
	}
	var d discovery
	if err := provider.Claims(&d); err != nil {
		return nil, fmt.Errorf("%w: discovery for %q: unreadable document", federation.ErrUpstreamUnavailable, cfg.Issuer)
	}
	if err := d.check(); err != nil {
		return nil, fmt.Errorf("%w: discovery for %q: %w", federation.ErrUpstreamUnavailable, cfg.Issuer, err)
	}
	style, err := authStyle(d.TokenAuthMethods)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", federation.ErrInvalidConfig, cfg.Issuer, err)
	}

	keys := NewKeySet(d.JWKSURL, env.HTTPClient, env.Clock, opts.KeySet)
	verifierIssuer := cfg.Issuer
	verifier := gooidc.NewVerifier(verifierIssuer, keys, &gooidc.Config{
		ClientID:             cfg.ClientID,
		SupportedSigningAlgs: supportedAlgs(d.SigningAlgs),
		SkipIssuerCheck:      opts.SkipIssuerCheck,
		Now:                  env.Clock,
	})

	scopes := slices.Clone(DefaultScopes)
	for _, s := range cfg.ExtraScopes {
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return &Connector{
		cfg:    cfg,
		env:    env,
		opts:   opts,
		issuer: d.Issuer,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret.Reveal(),
			Endpoint:     oauth2.Endpoint{AuthURL: d.AuthURL, TokenURL: d.TokenURL, AuthStyle: style},
			RedirectURL:  cfg.RedirectURL,
			Scopes:       scopes,
		},
		provider: provider,
		verifier: verifier,
		keys:     keys,
		hasUI:    d.UserInfoURL != "",
	}, nil
}

func (d discovery) check() error {
	var errs []error
	for name, v := range map[string]string{
		"authorization_endpoint": d.AuthURL, "token_endpoint": d.TokenURL, "jwks_uri": d.JWKSURL,
	} {
		if err := cfgcheck.CheckURL(v); err != nil {
			errs = append(errs, fmt.Errorf("%s %s", name, err))
		}
	}
	if d.UserInfoURL != "" {
		if err := cfgcheck.CheckURL(d.UserInfoURL); err != nil {
			errs = append(errs, fmt.Errorf("userinfo_endpoint %s", err))
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

// authStyle picks client_secret_basic when the upstream lists it (or lists
// nothing: basic is the OpenID default), else client_secret_post.
func authStyle(methods []string) (oauth2.AuthStyle, error) {
	switch {
	case len(methods) == 0 || slices.Contains(methods, "client_secret_basic"):
		return oauth2.AuthStyleInHeader, nil
	case slices.Contains(methods, "client_secret_post"):
		return oauth2.AuthStyleInParams, nil
	default:
		return 0, fmt.Errorf("upstream supports neither client_secret_basic nor client_secret_post (it lists %v)", methods)
	}
}

// supportedAlgs is discovery's list narrowed to asymmetric algorithms
// go-oidc verifies; RS256 when discovery lists none of them.
func supportedAlgs(advertised []string) []string {
	var out []string
	for _, a := range advertised {
		for _, s := range signingAlgs {
			if a == string(s) {
				out = append(out, a)
			}
		}
	}
	if len(out) == 0 {
		return []string{gooidc.RS256}
	}
	return out
}

func discoveryError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// short bounds upstream-provided text (go-oidc puts the response body in
// its discovery errors).
func short(s string) string {
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

// ID returns the connection id.
func (c *Connector) ID() string { return c.cfg.ConnectionID }

// Kind returns the connector kind.
func (c *Connector) Kind() federation.Kind { return c.opts.Kind }

// DiscoveredIssuer is the issuer value of the discovery document, verbatim
// (for Entra multi-tenant it contains "{tenantid}").
func (c *Connector) DiscoveredIssuer() string { return c.issuer }

// KeySet returns the connector's JWKS cache.
func (c *Connector) KeySet() *KeySet { return c.keys }

// LoginURL returns the authorization URL: response_type=code, scopes
// openid email profile (+ extra), state, nonce, PKCE S256 challenge of
// pkceVerifier, and the kind's AuthParams.
func (c *Connector) LoginURL(state, nonce, pkceVerifier string) (string, error) {
	if err := federation.CheckLoginParams(state, nonce, pkceVerifier); err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{gooidc.Nonce(nonce), oauth2.S256ChallengeOption(pkceVerifier)}
	names := make([]string, 0, len(c.opts.AuthParams))
	for k := range c.opts.AuthParams {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		opts = append(opts, oauth2.SetAuthURLParam(k, c.opts.AuthParams[k]))
	}
	return c.oauth.AuthCodeURL(state, opts...), nil
}
