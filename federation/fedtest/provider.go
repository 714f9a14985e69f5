package fedtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation"
)

// Flavor selects the shape of a Provider.
type Flavor int

const (
	FlavorGeneric Flavor = iota
	FlavorGoogle
	FlavorEntra
)

// DefaultRedirectURL is the redirect URI providers accept unless a test
// sets another with SetRedirectURL.
const DefaultRedirectURL = "https://gatehouse.test/t/acme/login/federated/conn-1/callback"

// User is the account the authorization endpoint signs in.
type User struct {
	Subject       string
	Email         string
	EmailVerified *bool // nil: claim omitted
	Name          string
	HostedDomain  string   // Google hd
	TenantID      string   // Entra tid
	ObjectID      string   // Entra oid
	EDOV          *bool    // Entra xms_edov; nil: claim omitted
	AMR           []string // amr
	Extra         map[string]any
}

// NonceFault breaks the nonce claim.
type NonceFault int

const (
	NonceEcho  NonceFault = iota // the nonce from the authorization request
	NonceOmit                    // no nonce claim
	NonceWrong                   // a different nonce
)

// Faults break the provider in one way each; the zero value is a healthy
// provider. They are read when the request arrives.
type Faults struct {
	// Authorization endpoint.
	AuthorizeError            string // e.g. "access_denied": redirect with error=
	AuthorizeErrorDescription string

	// ID token.
	SignWithUnpublishedKey bool           // signature does not verify with the JWKS key of that kid
	RandomKeyID            bool           // a fresh random kid on every token
	Audience               string         // aud instead of the client id
	Expired                bool           // exp an hour ago
	Nonce                  NonceFault     // nonce echo / omit / wrong
	Issuer                 string         // iss instead of the real one
	DropClaims             []string       // claims removed last
	ExtraClaims            map[string]any // claims set last
	ClaimsOnlyInUserInfo   bool           // email and email_verified only from userinfo

	// Token endpoint.
	TokenStatus int           // answer with this HTTP status (e.g. 500) and a text body
	TokenError  string        // answer 400 with this OAuth error code
	TokenBody   string        // answer 200 with this raw body (e.g. "{not json")
	TokenDelay  time.Duration // wait this long first (timeouts)
	OmitIDToken bool

	// Other endpoints.
	UserInfoSubject string // sub in userinfo instead of the user's
	JWKSStatus      int    // answer the JWKS endpoint with this HTTP status
	DiscoveryIssuer string // issuer in the generic/Google discovery document
}

// Provider is one in-process OpenID provider.
type Provider struct {
	// URL is the server's base URL, http://127.0.0.1:port.
	URL string
	// Issuer is the advertised issuer: URL for Generic and GoogleLike;
	// URL+"/{tenantid}/v2.0" for EntraLike.
	Issuer string
	// ClientID and ClientSecret are the registered client (read-only).
	ClientID     string
	ClientSecret string

	flavor Flavor
	srv    *httptest.Server

	mu           sync.Mutex
	user         User
	faults       Faults
	redirectURL  string
	authMethods  []string
	now          func() time.Time
	keys         []*signingKey // keys[0] signs; all are published
	rogue        *signingKey   // never published
	rotations    int
	codes        map[string]*grant
	accessTokens map[string]User
	domains      map[string]string // Entra tenant domain -> tid
	lastAuth     url.Values
	lastAuthHow  string

	jwksHits  atomic.Int64
	tokenHits atomic.Int64
}

type grant struct {
	user        User
	clientID    string
	redirectURI string
	challenge   string
	nonce       string
	expires     time.Time
}

// Generic starts a plain OpenID provider whose issuer is its URL.
func Generic(t testing.TB, u User) *Provider { return start(t, FlavorGeneric, u) }

// GoogleLike starts a Google-shaped provider whose issuer is its URL
// (point google.Config.Issuer at p.Issuer).
func GoogleLike(t testing.TB, u User) *Provider { return start(t, FlavorGoogle, u) }

// EntraLike starts an Entra-shaped provider (point
// microsoft.Config.IssuerBase at p.URL). Whether a connection is multi- or
// single-tenant follows from the tenant segment it discovers with.
func EntraLike(t testing.TB, u User) *Provider { return start(t, FlavorEntra, u) }

func start(t testing.TB, flavor Flavor, u User) *Provider {
	t.Helper()
	p := &Provider{
		ClientID:     "gatehouse-test-client",
		ClientSecret: randomString(t),
		flavor:       flavor,
		user:         u,
		redirectURL:  DefaultRedirectURL,
		now:          time.Now,
		codes:        map[string]*grant{},
		accessTokens: map[string]User{},
		domains:      map[string]string{},
		keys:         []*signingKey{newSigningKey(t, 0)},
		rogue:        &signingKey{priv: poolKey(t, poolRogue)},
	}
	switch flavor {
	case FlavorEntra:
		p.authMethods = []string{"client_secret_post", "private_key_jwt", "client_secret_basic"}
	default:
		p.authMethods = []string{"client_secret_post", "client_secret_basic"}
	}
	p.srv = httptest.NewServer(p.routes())
	t.Cleanup(p.srv.Close)
	p.URL = p.srv.URL
	p.Issuer = p.URL
	if flavor == FlavorEntra {
		p.Issuer = p.URL + "/{tenantid}/v2.0"
	}
	return p
}

// Client returns the OAuth client registration for a connector config.
func (p *Provider) Client(connectionID string) federation.OAuthClient {
	p.mu.Lock()
	defer p.mu.Unlock()
	return federation.OAuthClient{
		ConnectionID: connectionID,
		ClientID:     p.ClientID,
		ClientSecret: federation.Secret(p.ClientSecret),
		RedirectURL:  p.redirectURL,
	}
}

// SetUser replaces the account the next authorization signs in.
func (p *Provider) SetUser(u User) { p.mu.Lock(); p.user = u; p.mu.Unlock() }

// SetFaults replaces the faults.
func (p *Provider) SetFaults(f Faults) { p.mu.Lock(); p.faults = f; p.mu.Unlock() }

// SetRedirectURL replaces the one registered redirect URI.
func (p *Provider) SetRedirectURL(u string) { p.mu.Lock(); p.redirectURL = u; p.mu.Unlock() }

// SetTokenAuthMethods replaces token_endpoint_auth_methods_supported (and
// what the token endpoint accepts). Call it before discovery.
func (p *Provider) SetTokenAuthMethods(m ...string) {
	p.mu.Lock()
	p.authMethods = slices.Clone(m)
	p.mu.Unlock()
}

// SetNow replaces the provider's clock (iat, exp, code expiry).
func (p *Provider) SetNow(now func() time.Time) { p.mu.Lock(); p.now = now; p.mu.Unlock() }

// AddTenantDomain makes EntraLike discovery for domain advertise tid's
// issuer, as Entra does for a tenant's verified domain.
func (p *Provider) AddTenantDomain(domain, tid string) {
	p.mu.Lock()
	p.domains[domain] = tid
	p.mu.Unlock()
}

// RotateKey publishes a new signing key and signs with it from now on;
// the old key stays published when keepOld.
func (p *Provider) RotateKey(t testing.TB, keepOld bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rotations++
	k := newSigningKey(t, p.rotations)
	if keepOld {
		p.keys = append([]*signingKey{k}, p.keys...)
	} else {
		p.keys = []*signingKey{k}
	}
}

// LastAuthorizeRequest is the query of the last authorization request.
func (p *Provider) LastAuthorizeRequest() url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := url.Values{}
	for k, v := range p.lastAuth {
		out[k] = slices.Clone(v)
	}
	return out
}

// LastTokenClientAuth is how the last successful token request
// authenticated: "client_secret_basic" or "client_secret_post".
func (p *Provider) LastTokenClientAuth() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastAuthHow
}

// JWKSFetches counts requests to the JWKS endpoint.
func (p *Provider) JWKSFetches() int64 { return p.jwksHits.Load() }

// TokenRequests counts requests to the token endpoint.
func (p *Provider) TokenRequests() int64 { return p.tokenHits.Load() }

type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

// RSA-2048 generation is slow on a shared machine, so a test process
// generates three keys once: two that providers sign with (a rotation
// switches to the other one) and one that is never published. Every
// provider and rotation gets a fresh random kid, so tokens never verify
// across providers: the JWKS cache matches on kid.
const (
	poolSigning = 2
	poolRogue   = 2 // index of the never-published key
)

var keyPool = sync.OnceValues(func() ([]*rsa.PrivateKey, error) {
	keys := make([]*rsa.PrivateKey, poolSigning+1)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	return keys, nil
})

func poolKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	keys, err := keyPool()
	if err != nil {
		t.Fatalf("fedtest: generating RSA keys: %v", err)
	}
	return keys[i]
}

func newSigningKey(t testing.TB, i int) *signingKey {
	t.Helper()
	return &signingKey{kid: randomString(t)[:16], priv: poolKey(t, i%poolSigning)}
}

func randomString(t testing.TB) string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("fedtest: random: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// mustRandom is randomString for request handlers (no testing.TB there).
func mustRandom() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	if p.flavor == FlavorEntra {
		mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", p.discovery)
		mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", p.authorize)
		mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", p.token)
		mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", p.jwks)
		mux.HandleFunc("GET /oidc/userinfo", p.userinfo)
		return mux
	}
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /userinfo", p.userinfo)
	return mux
}
