package e2e

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/password"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// backends lists the stores every end-to-end test runs on.
var backends = []string{"sqlite", "postgres"}

// forEachBackend runs f once per backend in a subtest.
func forEachBackend(t *testing.T, f func(t *testing.T, e *env)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			if b == "postgres" && os.Getenv("GATEHOUSE_SKIP_POSTGRES") == "1" {
				t.Skip("GATEHOUSE_SKIP_POSTGRES=1")
			}
			f(t, newEnv(t, b))
		})
	}
}

// forEachBackendWith is forEachBackend with extra server options (senders,
// trusted proxies, a GeoIP locator...) set by opt.
func forEachBackendWith(t *testing.T, opt func(*idp.Options), f func(t *testing.T, e *env)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			if b == "postgres" && os.Getenv("GATEHOUSE_SKIP_POSTGRES") == "1" {
				t.Skip("GATEHOUSE_SKIP_POSTGRES=1")
			}
			f(t, newEnv(t, b, opt))
		})
	}
}

// clock is a settable clock shared by the server and the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is one Gatehouse server over TLS with a tenant "acme", a second tenant
// "other", users and clients.
type env struct {
	t      testing.TB
	store  store.Store
	sealer *seal.Sealer
	srv    *idp.Server
	hs     *httptest.Server
	clock  *clock
	acme   *store.Tenant
	other  *store.Tenant
	issuer string
	ctx    context.Context // carries the TLS-trusting client for go-oidc
	// bindings: auth request id -> the login-binding cookie of the browser
	// whose loginPage started it (see browser.adoptBinding).
	bindings *sync.Map
}

const (
	agentEmail    = "agent@acme.test"
	agentPassword = "Correct-Horse-Battery-Staple-42"
	rpRedirect    = "https://helpdesk.acme.test/oidc/callback"
	rpPostLogout  = "https://helpdesk.acme.test/signed-out"
)

// newEnv starts a server on backend; opts adjust its options (e.g. the
// upstream HTTP client of federation tests).
func newEnv(t testing.TB, backend string, opts ...func(*idp.Options)) *env {
	t.Helper()
	var st store.Store
	switch backend {
	case "sqlite":
		st = newSQLiteStore(t)
	case "postgres":
		st = newPostgresStore(t)
	}
	master := make([]byte, 32)
	_, _ = rand.Read(master)
	sealer, err := seal.New(master, nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Now().UTC().Truncate(time.Microsecond)}
	var handler http.Handler
	// secretTap notes every secret that crosses the wire, for the audit
	// secret scan when the env ends (audit_secrets_test.go).
	hs := httptest.NewUnstartedServer(secretTap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) })))
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // clients hanging up mid-handshake at test end
	hs.StartTLS()
	t.Cleanup(hs.Close)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("GATEHOUSE_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	o := idp.Options{
		Store: st, Sealer: sealer, PublicURL: hs.URL, Clock: clk.Now, Logger: logger,
		// cheap argon2 parameters keep the suite fast; production uses OWASP's.
		Hasher: password.NewHasher(password.Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}, 4, nil),
	}
	for _, f := range opts {
		f(&o)
	}
	srv, err := idp.New(o)
	if err != nil {
		t.Fatal(err)
	}
	handler = srv.Handler()
	e := &env{t: t, store: st, sealer: sealer, srv: srv, hs: hs, clock: clk, bindings: new(sync.Map)}
	// Registered before the store's own cleanup, so it runs while the
	// store is open; e.store is read then (a test may swap it).
	t.Cleanup(func() { checkAuditForSecrets(t, e.store, e.acme, e.other) })
	e.ctx = oidc.ClientContext(context.Background(), hs.Client())
	ctx := context.Background()
	if e.acme, err = srv.Manage().CreateTenant(ctx, "acme", "Acme Support"); err != nil {
		t.Fatal(err)
	}
	if e.other, err = srv.Manage().CreateTenant(ctx, "other", "Other Co"); err != nil {
		t.Fatal(err)
	}
	// The core flows run without a second factor; e2e/mfa_*_test.go set
	// the tenant's MFA mode explicitly (the product default is "always").
	for _, tn := range []*store.Tenant{e.acme, e.other} {
		tn.Settings.MFAMode = "never"
		if err := srv.Manage().UpdateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	e.issuer = hs.URL + "/t/acme"
	if _, err := srv.Manage().CreateUser(ctx, e.acme, manage.UserSpec{Email: agentEmail, Name: "Alice Agent", Role: "agent", Password: agentPassword}); err != nil {
		t.Fatal(err)
	}
	return e
}

// client registers a relying party in tenant t.
func (e *env) client(t *store.Tenant, spec manage.ClientSpec) (id, secret string) {
	e.t.Helper()
	if spec.Name == "" {
		spec.Name = "Helpdesk"
	}
	c, secret, err := e.srv.Manage().CreateClient(context.Background(), t.ID, spec)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID, secret
}

// webClient is a confidential helpdesk app with code + refresh grants.
func (e *env) webClient() (id, secret string) {
	return e.client(e.acme, manage.ClientSpec{RedirectURIs: []string{rpRedirect}, PostLogoutRedirectURIs: []string{rpPostLogout}})
}

// rp is a relying party built on go-oidc and x/oauth2.
type rp struct {
	e        *env
	provider *oidc.Provider
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func (e *env) rp(clientID, secret string, scopes ...string) *rp {
	e.t.Helper()
	p, err := oidc.NewProvider(e.ctx, e.issuer)
	if err != nil {
		e.t.Fatalf("discovery: %v", err)
	}
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}
	}
	return &rp{e: e, provider: p, verifier: p.Verifier(&oidc.Config{ClientID: clientID}),
		oauth: &oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: rpRedirect, Scopes: scopes}}
}

// browser is a user agent with a cookie jar that stops at the RP's redirect URI.
type browser struct {
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	tr := e.hs.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: e.hs.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	c := &http.Client{Jar: jar, Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), e.hs.URL) {
			return http.ErrUseLastResponse // leaving Gatehouse: that is the answer
		}
		if len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return &browser{e: e, client: c}
}

// get follows redirects inside Gatehouse and returns the last response.
func (b *browser) get(u string) (*http.Response, string) {
	b.e.t.Helper()
	resp, err := b.client.Get(u)
	if err != nil {
		b.e.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(u string, form url.Values) (*http.Response, string) {
	b.e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.e.hs.URL) // a same-origin form post, as a browser sends it
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var hiddenID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// authorize starts a code flow; it returns the login page (or the redirect
// to the RP when SSO or an error answered at once).
func (r *rp) authURL(state string, opts ...oauth2.AuthCodeOption) string {
	return r.oauth.AuthCodeURL(state, opts...)
}

// login drives the whole browser part and returns the code from the RP redirect.
func (b *browser) login(authURL, email, pw string) url.Values {
	b.e.t.Helper()
	resp, body := b.get(authURL)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		b.e.t.Fatalf("expected the login page, got %d: %.300s", resp.StatusCode, body)
	}
	q := b.submitLogin(body, email, pw)
	if q == nil {
		b.e.t.Fatal("login did not redirect to the relying party")
	}
	return q
}

// submitLogin posts the form found in a login page and returns the query of
// the redirect to the RP, or nil when Gatehouse answered with a page.
func (b *browser) submitLogin(page, email, pw string) url.Values {
	b.e.t.Helper()
	m := hiddenID.FindStringSubmatch(page)
	if m == nil {
		b.e.t.Fatalf("no auth request id in login page: %.300s", page)
	}
	b.adoptBinding(m[1])
	resp, _ := b.post(b.e.issuer+"/login", url.Values{"id": {m[1]}, "email": {email}, "password": {pw}})
	return rpRedirectQuery(resp)
}

// noteBinding remembers the login-binding cookie that b holds for the sign-in
// request of page (started by b).
func (b *browser) noteBinding(page string) {
	m := hiddenID.FindStringSubmatch(page)
	if m == nil {
		return
	}
	u, _ := url.Parse(b.e.issuer)
	for _, c := range b.client.Jar.Cookies(u) {
		if strings.HasPrefix(c.Name, "__Host-gh_login_") {
			b.e.bindings.Store(m[1], c)
		}
	}
}

// adoptBinding gives b the login-binding cookie of the browser that started
// request id with loginPage: the throttling tests post one sign-in from many
// connections of one client (an attacker has the cookie of the request they
// started). Requests not started by loginPage are left alone.
func (b *browser) adoptBinding(id string) {
	c, ok := b.e.bindings.Load(id)
	if !ok {
		return
	}
	u, _ := url.Parse(b.e.issuer)
	bc := *c.(*http.Cookie)
	bc.Secure, bc.Path = true, "/"
	b.client.Jar.SetCookies(u, []*http.Cookie{&bc})
}

// rpRedirectQuery returns the query of a redirect to the RP, or nil.
func rpRedirectQuery(resp *http.Response) url.Values {
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, rpRedirect) {
		return nil
	}
	u, _ := url.Parse(loc)
	return u.Query()
}

// pkce returns a verifier and the auth-code options carrying its challenge.
func pkce() (string, oauth2.AuthCodeOption) {
	v := oauth2.GenerateVerifier()
	return v, oauth2.S256ChallengeOption(v)
}

// signIn runs a full code + PKCE flow and returns the token.
func (r *rp) signIn(b *browser) *oauth2.Token {
	r.e.t.Helper()
	v, ch := pkce()
	q := b.login(r.authURL("st-1", ch, oidc.Nonce("n-1")), agentEmail, agentPassword)
	if q.Get("state") != "st-1" || q.Get("code") == "" {
		r.e.t.Fatalf("unexpected RP redirect: %v", q)
	}
	tok, err := r.oauth.Exchange(r.e.ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		r.e.t.Fatalf("exchange: %v", err)
	}
	return tok
}

// tokenForm posts to the token endpoint directly (for negative cases).
func (e *env) tokenForm(form url.Values, clientID, secret string) (int, map[string]any) {
	e.t.Helper()
	return e.postJSON(e.issuer+"/oauth/token", form, clientID, secret)
}

func (e *env) postJSON(u string, form url.Values, clientID, secret string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if clientID != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	resp, err := e.hs.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, decodeJSON(e.t, resp.Body)
}
