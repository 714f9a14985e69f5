package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
	"github.com/gatehouse-idp/gatehouse/federation/oidc"
)

func TestGenericHappyPath(t *testing.T) {
	u := ann()
	u.AMR = []string{"pwd", "mfa"}
	p := fedtest.Generic(t, u)
	conn := connect(t, p, setup{})
	if conn.ID() != "conn-oidc" || conn.Kind() != federation.KindOIDC {
		t.Fatalf("ID/Kind = %q/%q", conn.ID(), conn.Kind())
	}

	id, login, err := p.SignIn(context.Background(), conn)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	want := federation.LinkKey{ConnectionID: "conn-oidc", Issuer: p.Issuer, Subject: "ann-123"}
	if id.Key() != want {
		t.Fatalf("key = %+v, want %+v", id.Key(), want)
	}
	if id.Email != "ann@example.com" || !id.EmailVerified || id.Name != "Ann Example" || !id.UpstreamMFA {
		t.Fatalf("identity = %+v", id)
	}
	if id.HostedDomain != "" || id.TenantID != "" {
		t.Fatalf("generic OIDC must not interpret hd/tid: %+v", id)
	}
	if id.RawClaims["sub"] != "ann-123" {
		t.Fatalf("raw claims = %v", id.RawClaims)
	}

	q := p.LastAuthorizeRequest()
	checks := map[string]string{
		"response_type":         "code",
		"scope":                 "openid email profile",
		"code_challenge_method": "S256",
		"code_challenge":        federation.S256Challenge(login.PKCE.Verifier),
		"nonce":                 login.Nonce,
		"state":                 login.State,
		"client_id":             p.ClientID,
		"redirect_uri":          fedtest.DefaultRedirectURL,
	}
	for k, v := range checks {
		if q.Get(k) != v {
			t.Errorf("authorize %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Has("code_verifier") {
		t.Error("the verifier must never travel through the browser")
	}
	if got := p.LastTokenClientAuth(); got != "client_secret_basic" {
		t.Errorf("client auth = %q, want client_secret_basic", got)
	}
}

func TestClientSecretPostWhenBasicIsNotOffered(t *testing.T) {
	p := fedtest.Generic(t, ann())
	p.SetTokenAuthMethods("client_secret_post")
	conn := connect(t, p, setup{})
	if _, _, err := p.SignIn(context.Background(), conn); err != nil {
		t.Fatal(err)
	}
	if got := p.LastTokenClientAuth(); got != "client_secret_post" {
		t.Fatalf("client auth = %q", got)
	}
}

func TestExtraScopesAreAdded(t *testing.T) {
	p := fedtest.Generic(t, ann())
	conn := connect(t, p, setup{mutate: func(c *oidc.Config) { c.ExtraScopes = []string{"groups", "email"} }})
	if _, _, err := p.SignIn(context.Background(), conn); err != nil {
		t.Fatal(err)
	}
	if got := p.LastAuthorizeRequest().Get("scope"); got != "openid email profile groups" {
		t.Fatalf("scope = %q", got)
	}
}

func TestGenericFaults(t *testing.T) {
	cases := []struct {
		name     string
		faults   fedtest.Faults
		want     error
		upstream string // expected UpstreamError code
	}{
		{"bad signature (known kid)", fedtest.Faults{SignWithUnpublishedKey: true}, federation.ErrTokenInvalid, ""},
		{"unknown kid", fedtest.Faults{SignWithUnpublishedKey: true, RandomKeyID: true}, federation.ErrTokenInvalid, ""},
		{"wrong audience", fedtest.Faults{Audience: "someone-else"}, federation.ErrTokenInvalid, ""},
		{"expired", fedtest.Faults{Expired: true}, federation.ErrTokenInvalid, ""},
		{"missing nonce", fedtest.Faults{Nonce: fedtest.NonceOmit}, federation.ErrNonceMissing, ""},
		{"wrong nonce", fedtest.Faults{Nonce: fedtest.NonceWrong}, federation.ErrNonceMismatch, ""},
		{"other issuer", fedtest.Faults{Issuer: "https://evil.example"}, federation.ErrIssuerMismatch, ""},
		{"no iat", fedtest.Faults{DropClaims: []string{"iat"}}, federation.ErrTokenInvalid, ""},
		{"iat in the future", fedtest.Faults{ExtraClaims: map[string]any{"iat": time.Now().Add(time.Hour).Unix()}}, federation.ErrTokenInvalid, ""},
		{"no sub", fedtest.Faults{DropClaims: []string{"sub"}}, federation.ErrTokenInvalid, ""},
		{"several audiences without azp", fedtest.Faults{ExtraClaims: map[string]any{"aud": []string{"gatehouse-test-client", "other"}}}, federation.ErrTokenInvalid, ""},
		{"azp of another client", fedtest.Faults{ExtraClaims: map[string]any{"azp": "other"}}, federation.ErrTokenInvalid, ""},
		{"access denied", fedtest.Faults{AuthorizeError: "access_denied", AuthorizeErrorDescription: "The user cancelled"}, nil, "access_denied"},
		{"token endpoint invalid_grant", fedtest.Faults{TokenError: "invalid_grant"}, nil, "invalid_grant"},
		{"token endpoint 500", fedtest.Faults{TokenStatus: http.StatusInternalServerError}, federation.ErrUpstreamUnavailable, ""},
		{"token endpoint 503", fedtest.Faults{TokenStatus: http.StatusServiceUnavailable}, federation.ErrUpstreamUnavailable, ""},
		{"token endpoint 404 without OAuth error", fedtest.Faults{TokenStatus: http.StatusNotFound}, federation.ErrUpstreamUnavailable, ""},
		{"token endpoint bad JSON", fedtest.Faults{TokenBody: "{not json"}, federation.ErrUpstreamUnavailable, ""},
		{"token response without access token", fedtest.Faults{TokenBody: `{"token_type":"Bearer"}`}, federation.ErrUpstreamUnavailable, ""},
		{"token response without id_token", fedtest.Faults{OmitIDToken: true}, federation.ErrUpstreamUnavailable, ""},
		{"JWKS 500", fedtest.Faults{JWKSStatus: http.StatusInternalServerError}, federation.ErrUpstreamUnavailable, ""},
		{"userinfo for another subject", fedtest.Faults{ClaimsOnlyInUserInfo: true, UserInfoSubject: "mallory"}, federation.ErrTokenInvalid, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := fedtest.Generic(t, ann())
			conn := connect(t, p, setup{})
			p.SetFaults(c.faults)
			id, login, err := p.SignIn(context.Background(), conn)
			if err == nil {
				t.Fatalf("want an error, got identity %+v", id)
			}
			t.Logf("err: %v", err)
			assertClean(t, err, p, login)
			if c.upstream != "" {
				var ue *federation.UpstreamError
				if !errors.As(err, &ue) || ue.Code != c.upstream {
					t.Fatalf("err = %v, want UpstreamError %q", err, c.upstream)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestErrorKindsAreDistinct(t *testing.T) {
	p := fedtest.Generic(t, ann())
	conn := connect(t, p, setup{})

	p.SetFaults(fedtest.Faults{Expired: true})
	_, _, err := p.SignIn(context.Background(), conn)
	var expired *gooidc.TokenExpiredError
	if !errors.As(err, &expired) || errors.Is(err, federation.ErrIssuerMismatch) {
		t.Fatalf("expired: %v", err)
	}

	p.SetFaults(fedtest.Faults{Nonce: fedtest.NonceWrong})
	_, _, err = p.SignIn(context.Background(), conn)
	if errors.Is(err, federation.ErrNonceMissing) || errors.Is(err, federation.ErrTokenInvalid) {
		t.Fatalf("wrong nonce must be only a mismatch: %v", err)
	}

	// A forged token claiming another issuer, signed with a key we do not
	// trust, is a bad token — not evidence about the issuer.
	p.SetFaults(fedtest.Faults{Issuer: "https://evil.example", SignWithUnpublishedKey: true})
	_, _, err = p.SignIn(context.Background(), conn)
	if !errors.Is(err, federation.ErrTokenInvalid) || errors.Is(err, federation.ErrIssuerMismatch) {
		t.Fatalf("forged issuer: %v", err)
	}
}

func TestTokenEndpointTimeoutIsUnavailable(t *testing.T) {
	p := fedtest.Generic(t, ann())
	conn := connect(t, p, setup{timeout: 300 * time.Millisecond})
	p.SetFaults(fedtest.Faults{TokenDelay: 3 * time.Second})
	start := time.Now()
	_, _, err := p.SignIn(context.Background(), conn)
	if !errors.Is(err, federation.ErrUpstreamUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("the client timeout was not applied (%s)", time.Since(start))
	}
}

func TestCodeIsSingleUseAndBoundToTheVerifier(t *testing.T) {
	p := fedtest.Generic(t, ann())
	conn := connect(t, p, setup{})
	ctx := context.Background()

	_, login, err := p.SignIn(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := fedtest.Callback(login.CallbackURL)
	_, err = conn.Exchange(ctx, q.Get("code"), login.PKCE.Verifier, login.Nonce)
	var ue *federation.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "invalid_grant" {
		t.Fatalf("replayed code: %v", err)
	}

	// A code redeemed with another verifier (a stolen code) fails.
	pk, _ := federation.NewPKCE(strings.NewReader(strings.Repeat("x", 64)))
	authURL, err := conn.LoginURL(login.State, login.Nonce, login.PKCE.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := p.Authorize(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q, _ = fedtest.Callback(cb)
	_, err = conn.Exchange(ctx, q.Get("code"), pk.Verifier, login.Nonce)
	if !errors.As(err, &ue) || ue.Code != "invalid_grant" {
		t.Fatalf("wrong verifier: %v", err)
	}
}

func TestExchangeRefusesMissingInputs(t *testing.T) {
	p := fedtest.Generic(t, ann())
	conn := connect(t, p, setup{})
	ctx := context.Background()
	good := strings.Repeat("v", 43)
	if _, err := conn.Exchange(ctx, "", good, "nonce"); !errors.Is(err, federation.ErrInvalidCallback) {
		t.Errorf("empty code: %v", err)
	}
	if _, err := conn.Exchange(ctx, "code", "short", "nonce"); err == nil {
		t.Error("short verifier accepted")
	}
	if _, err := conn.Exchange(ctx, "code", good, ""); err == nil {
		t.Error("empty nonce accepted")
	}
	if p.TokenRequests() != 0 {
		t.Fatal("bad inputs must not reach the upstream")
	}
	if _, err := conn.LoginURL("short", "nonce-0123456789abcdef", good); err == nil {
		t.Error("short state accepted")
	}
}

func TestEmailVerifiedFromTokenOrUserInfo(t *testing.T) {
	cases := []struct {
		name         string
		user         func(*fedtest.User)
		faults       fedtest.Faults
		noUserInfo   bool
		wantEmail    string
		wantVerified bool
	}{
		{"token says verified", nil, fedtest.Faults{}, false, "ann@example.com", true},
		{"token says unverified (userinfo not asked)", func(u *fedtest.User) { u.EmailVerified = unverified() }, fedtest.Faults{}, false, "ann@example.com", false},
		{"string \"true\" in token", func(u *fedtest.User) { u.EmailVerified = nil }, fedtest.Faults{ExtraClaims: map[string]any{"email_verified": "true"}}, true, "ann@example.com", true},
		{"only in userinfo", nil, fedtest.Faults{ClaimsOnlyInUserInfo: true}, false, "ann@example.com", true},
		{"only in userinfo, fallback disabled", nil, fedtest.Faults{ClaimsOnlyInUserInfo: true}, true, "", false},
		{"token has email without email_verified", nil, fedtest.Faults{DropClaims: []string{"email_verified"}}, false, "ann@example.com", true},
		{"userinfo email differs from token email", nil, fedtest.Faults{DropClaims: []string{"email_verified"}, ExtraClaims: map[string]any{"email": "other@example.com"}}, false, "other@example.com", false},
		{"absent everywhere", func(u *fedtest.User) { u.EmailVerified = nil }, fedtest.Faults{}, false, "ann@example.com", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := ann()
			if c.user != nil {
				c.user(&u)
			}
			p := fedtest.Generic(t, u)
			conn := connect(t, p, setup{mutate: func(cfg *oidc.Config) { cfg.DisableUserInfo = c.noUserInfo }})
			p.SetFaults(c.faults)
			id, _, err := p.SignIn(context.Background(), conn)
			if err != nil {
				t.Fatal(err)
			}
			if id.Email != c.wantEmail || id.EmailVerified != c.wantVerified {
				t.Fatalf("email %q verified %v, want %q %v", id.Email, id.EmailVerified, c.wantEmail, c.wantVerified)
			}
		})
	}
}

func TestDiscovery(t *testing.T) {
	ctx := context.Background()
	p := fedtest.Generic(t, ann())
	p.SetFaults(fedtest.Faults{DiscoveryIssuer: "https://elsewhere.example"})
	_, err := federation.New(ctx, oidc.Config{OAuthClient: p.Client("c"), Issuer: p.Issuer}, fedtest.HTTPClient(time.Second), time.Now)
	if !errors.Is(err, federation.ErrIssuerMismatch) {
		t.Fatalf("discovery issuer mismatch: %v", err)
	}

	gone := fedtest.Generic(t, ann())
	cfg := oidc.Config{OAuthClient: gone.Client("c"), Issuer: gone.Issuer + "/nothing-here"}
	if _, err := federation.New(ctx, cfg, fedtest.HTTPClient(time.Second), time.Now); !errors.Is(err, federation.ErrUpstreamUnavailable) {
		t.Fatalf("discovery 404: %v", err)
	}

	p.SetTokenAuthMethods("private_key_jwt")
	p.SetFaults(fedtest.Faults{})
	if _, err := federation.New(ctx, oidc.Config{OAuthClient: p.Client("c"), Issuer: p.Issuer}, fedtest.HTTPClient(time.Second), time.Now); !errors.Is(err, federation.ErrInvalidConfig) {
		t.Fatalf("no usable client auth: %v", err)
	}
}

func TestDiscoveryUnreachableIsUnavailable(t *testing.T) {
	p := fedtest.Generic(t, ann())
	cfg := oidc.Config{OAuthClient: p.Client("c"), Issuer: "http://127.0.0.1:1"} // nothing listens on port 1
	_, err := federation.New(context.Background(), cfg, fedtest.HTTPClient(time.Second), time.Now)
	if !errors.Is(err, federation.ErrUpstreamUnavailable) {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigValidateReportsEverything(t *testing.T) {
	err := oidc.Config{Issuer: "http://idp.example.com"}.Validate()
	if !errors.Is(err, federation.ErrInvalidConfig) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{
		"option 'connection_id' must be set", "option 'client_id' must be set", "option 'client_secret' must be set",
		"option 'redirect_url' must be set", "option 'issuer' must use https",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	ok := oidc.Config{
		OAuthClient: federation.OAuthClient{ConnectionID: "c", ClientID: "id", ClientSecret: "s", RedirectURL: "https://gh.example/cb"},
		Issuer:      "http://127.0.0.1:8080",
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("loopback http issuer must be fine: %v", err)
	}
}
