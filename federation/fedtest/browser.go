package fedtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation"
)

// Authorize plays the browser: it GETs authURL (which must point at this
// provider) without following the redirect and returns the callback URL
// the provider redirected to, code or error= included.
func (p *Provider) Authorize(authURL string) (string, error) {
	if !strings.HasPrefix(authURL, p.URL+"/") {
		return "", fmt.Errorf("fedtest: %q is not this provider's URL", authURL)
	}
	browser := &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	resp, err := browser.Get(authURL)
	if err != nil {
		return "", fmt.Errorf("fedtest: authorize: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return "", fmt.Errorf("fedtest: authorize answered %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return resp.Header.Get("Location"), nil
}

// Callback parses a callback URL returned by Authorize into its query.
func Callback(callbackURL string) (url.Values, error) {
	u, err := url.Parse(callbackURL)
	if err != nil {
		return nil, fmt.Errorf("fedtest: callback URL: %w", err)
	}
	return u.Query(), nil
}

// Login is what one sign-in produced, for tests that want to look at it.
type Login struct {
	State, Nonce string
	PKCE         federation.PKCE
	AuthURL      string
	CallbackURL  string
}

// SignIn runs a whole login the way the idp will: fresh state, nonce and
// PKCE from crypto/rand, conn.LoginURL, the provider's authorization
// endpoint, federation.ParseCallback, conn.Exchange.
func (p *Provider) SignIn(ctx context.Context, conn federation.Connector) (federation.Identity, Login, error) {
	var l Login
	var err error
	if l.State, err = federation.NewState(rand.Reader); err != nil {
		return federation.Identity{}, l, err
	}
	if l.Nonce, err = federation.NewNonce(rand.Reader); err != nil {
		return federation.Identity{}, l, err
	}
	if l.PKCE, err = federation.NewPKCE(rand.Reader); err != nil {
		return federation.Identity{}, l, err
	}
	if l.AuthURL, err = conn.LoginURL(l.State, l.Nonce, l.PKCE.Verifier); err != nil {
		return federation.Identity{}, l, err
	}
	if l.CallbackURL, err = p.Authorize(l.AuthURL); err != nil {
		return federation.Identity{}, l, err
	}
	q, err := Callback(l.CallbackURL)
	if err != nil {
		return federation.Identity{}, l, err
	}
	code, err := federation.ParseCallback(q, l.State)
	if err != nil {
		return federation.Identity{}, l, err
	}
	id, err := conn.Exchange(ctx, code, l.PKCE.Verifier, l.Nonce)
	return id, l, err
}

// HTTPClient is a client with a timeout, as federation.New requires.
func HTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout}
}
