package federation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Kind names an upstream connector kind, as stored with a connection.
type Kind string

// The connector kinds Gatehouse offers.
const (
	KindOIDC      Kind = "oidc"
	KindGoogle    Kind = "google"
	KindMicrosoft Kind = "microsoft"
)

// Clock returns the current time. The idp passes time.Now; tests pass a
// fake.
type Clock func() time.Time

// Connector federates sign-in to one upstream connection with the
// authorization-code flow, PKCE S256 and a nonce on every request.
//
// The idp keeps state, nonce and PKCE verifier in the server-side login
// transaction, sends the browser to LoginURL, and on the callback calls
// ParseCallback and then Exchange.
type Connector interface {
	// ID is the connection id the connector was configured with.
	ID() string
	// Kind is the connector kind.
	Kind() Kind
	// LoginURL is the upstream authorization URL for one login. It refuses
	// empty or short state/nonce and a verifier outside RFC 7636.
	LoginURL(state, nonce, pkceVerifier string) (string, error)
	// Exchange redeems code with the verifier, verifies the ID token
	// (signature, iss, aud, azp, exp, iat, nonce == expectedNonce, plus the
	// kind's own rules) and returns the identity.
	Exchange(ctx context.Context, code, pkceVerifier, expectedNonce string) (Identity, error)
}

// Config is one connector kind's configuration. Open validates it,
// performs discovery and returns a ready Connector; prefer New, which also
// checks the environment.
type Config interface {
	Kind() Kind
	// Validate reports every problem at once, wrapping ErrInvalidConfig.
	Validate() error
	Open(ctx context.Context, env Env) (Connector, error)
}

// Env is what connectors need from their host: an HTTP client (with a
// Timeout, used for discovery, token, JWKS and userinfo requests) and a
// clock.
type Env struct {
	HTTPClient *http.Client
	Clock      Clock
}

// Validate refuses a missing client, a client without Timeout (a hung
// upstream must not hang sign-in) and a missing clock.
func (e Env) Validate() error {
	var errs []error
	if e.HTTPClient == nil {
		errs = append(errs, errors.New("federation: an *http.Client is required"))
	} else if e.HTTPClient.Timeout <= 0 {
		errs = append(errs, errors.New("federation: the *http.Client must have a Timeout"))
	}
	if e.Clock == nil {
		errs = append(errs, errors.New("federation: a Clock is required"))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
}

// New builds the connector cfg describes (discovery happens here, bounded
// by ctx and the client's Timeout).
func New(ctx context.Context, cfg Config, httpClient *http.Client, clock Clock) (Connector, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: no connector config", ErrInvalidConfig)
	}
	env := Env{HTTPClient: httpClient, Clock: clock}
	if err := env.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg.Open(ctx, env)
}

// Secret is a configuration secret (an upstream client secret). It prints
// and logs as "[redacted]"; JSON keeps the value, because the idp seals and
// stores it.
type Secret string

const redacted = "[redacted]"

func (Secret) String() string   { return redacted }
func (Secret) GoString() string { return redacted }

// LogValue redacts the secret in slog output.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Reveal returns the secret itself, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// OAuthClient is the upstream client registration every kind shares.
type OAuthClient struct {
	// ConnectionID is Gatehouse's id for the connection; it ends up in
	// Identity.ConnectionID and in the callback path.
	ConnectionID string `json:"connection_id"`
	ClientID     string `json:"client_id"`
	ClientSecret Secret `json:"client_secret"`
	// RedirectURL is registered with the upstream; the idp mounts it at
	// {public_url}/t/{tenant}/login/federated/{connection_id}/callback.
	RedirectURL string `json:"redirect_url"`
}

// LogValue logs the registration with the secret redacted (slog's JSON
// handler would otherwise marshal it).
func (c OAuthClient) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("connection_id", c.ConnectionID),
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", redacted),
		slog.String("redirect_url", c.RedirectURL),
	)
}
