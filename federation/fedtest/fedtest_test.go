package fedtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
)

// The fake must be strict, or tests that pass against it prove nothing.

func authorizeURL(p *fedtest.Provider, mutate func(url.Values)) string {
	v := url.Values{
		"client_id": {p.ClientID}, "redirect_uri": {fedtest.DefaultRedirectURL}, "response_type": {"code"},
		"scope": {"openid email"}, "state": {"st"}, "nonce": {"n"},
		"code_challenge": {federation.S256Challenge(strings.Repeat("v", 43))}, "code_challenge_method": {"S256"},
	}
	if mutate != nil {
		mutate(v)
	}
	return p.URL + "/authorize?" + v.Encode()
}

func TestAuthorizeRefusesBadRequests(t *testing.T) {
	p := fedtest.Generic(t, fedtest.User{Subject: "s"})
	if _, err := p.Authorize(authorizeURL(p, func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") })); err == nil {
		t.Error("unregistered redirect_uri was redirected to")
	}
	if _, err := p.Authorize(authorizeURL(p, func(v url.Values) { v.Set("client_id", "other") })); err == nil {
		t.Error("unknown client accepted")
	}
	for name, mutate := range map[string]func(url.Values){
		"no PKCE":    func(v url.Values) { v.Del("code_challenge") },
		"plain PKCE": func(v url.Values) { v.Set("code_challenge_method", "plain") },
		"no openid":  func(v url.Values) { v.Set("scope", "email") },
		"token flow": func(v url.Values) { v.Set("response_type", "token") },
	} {
		cb, err := p.Authorize(authorizeURL(p, mutate))
		q, _ := fedtest.Callback(cb)
		if err != nil || q.Get("error") == "" || q.Get("code") != "" || q.Get("state") != "st" {
			t.Errorf("%s: callback %q err %v", name, cb, err)
		}
	}
	if _, err := p.Authorize("http://elsewhere.example/authorize"); err == nil {
		t.Error("foreign URL accepted")
	}
}

func TestTokenEndpointChecksClientCodeAndVerifier(t *testing.T) {
	p := fedtest.Generic(t, fedtest.User{Subject: "s"})
	verifier := strings.Repeat("v", 43)
	code := func() string {
		cb, err := p.Authorize(authorizeURL(p, nil))
		if err != nil {
			t.Fatal(err)
		}
		q, _ := fedtest.Callback(cb)
		return q.Get("code")
	}
	redeem := func(form url.Values) (int, string) {
		resp, err := (&http.Client{Timeout: 5 * time.Second}).PostForm(p.URL+"/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Error   string `json:"error"`
			IDToken string `json:"id_token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode == http.StatusOK && body.IDToken == "" {
			t.Fatal("200 without id_token")
		}
		return resp.StatusCode, body.Error
	}
	form := func(c, secret, v string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {fedtest.DefaultRedirectURL},
			"client_id": {p.ClientID}, "client_secret": {secret}, "code_verifier": {v}}
	}

	if st, e := redeem(form(code(), "wrong", verifier)); st != http.StatusUnauthorized || e != "invalid_client" {
		t.Errorf("wrong secret: %d %s", st, e)
	}
	if st, e := redeem(form(code(), p.ClientSecret, strings.Repeat("w", 43))); e != "invalid_grant" {
		t.Errorf("wrong verifier: %d %s", st, e)
	}
	c := code()
	if st, e := redeem(form(c, p.ClientSecret, verifier)); st != http.StatusOK {
		t.Fatalf("good request: %d %s", st, e)
	}
	if _, e := redeem(form(c, p.ClientSecret, verifier)); e != "invalid_grant" {
		t.Errorf("replayed code: %s", e)
	}
	f := form(code(), p.ClientSecret, verifier)
	f.Set("redirect_uri", "https://other.example/cb")
	if _, e := redeem(f); e != "invalid_grant" {
		t.Errorf("other redirect_uri: %s", e)
	}
}

func TestEntraDiscoveryAdvertisesTheTemplate(t *testing.T) {
	p := fedtest.EntraLike(t, fedtest.User{Subject: "s"})
	p.AddTenantDomain("acme.example", "44444444-4444-4444-8444-444444444444")
	cases := map[string]string{
		"organizations":                        p.URL + "/{tenantid}/v2.0",
		"common":                               p.URL + "/{tenantid}/v2.0",
		"44444444-4444-4444-8444-444444444444": p.URL + "/44444444-4444-4444-8444-444444444444/v2.0",
		"acme.example":                         p.URL + "/44444444-4444-4444-8444-444444444444/v2.0",
	}
	for tenant, want := range cases {
		resp, err := http.Get(p.URL + "/" + tenant + "/v2.0/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Issuer string `json:"issuer"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&d)
		resp.Body.Close()
		if d.Issuer != want {
			t.Errorf("%s: issuer %q, want %q", tenant, d.Issuer, want)
		}
	}
}
