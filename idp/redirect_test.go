package idp

import (
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func TestRedirectAllowed(t *testing.T) {
	web := &store.Client{AppType: store.AppWeb, RedirectURIs: []string{"https://desk.example/cb", "http://127.0.0.1:3000/cb"}}
	native := &store.Client{Public: true, AppType: store.AppNative, RedirectURIs: []string{"http://127.0.0.1/cb", "http://[::1]:8080/cb?x=1", "com.example.app:/cb"}}
	cases := []struct {
		c    *store.Client
		uri  string
		want bool
	}{
		{web, "https://desk.example/cb", true},
		{web, "https://desk.example/cb/", false},
		{web, "https://Desk.example/cb", false},
		{web, "https://desk.example/CB", false},
		{web, "https://desk.example/cb?x=1", false},
		{web, "https://desk.example/cb#f", false},
		{web, "https://desk.example@evil.example/cb", false},
		{web, "https://desk.example/cb/../cb", false},
		{web, "http://127.0.0.1:3000/cb", true},
		{web, "http://127.0.0.1:3001/cb", false}, // any port only for native public clients
		{web, "", false},
		{native, "http://127.0.0.1/cb", true},
		{native, "http://127.0.0.1:54321/cb", true},
		{native, "http://127.0.0.1:54321/cb?x=1", false},
		{native, "http://127.0.0.1:54321/other", false},
		{native, "http://localhost:54321/cb", false}, // RFC 8252 8.3: literal loopback IPs only
		{native, "http://[::1]:9/cb?x=1", true},
		{native, "http://127.0.0.1:54321/cb#x", false},
		{native, "http://u@127.0.0.1:54321/cb", false},
		{native, "https://127.0.0.1:54321/cb", false},
		{native, "com.example.app:/cb", true},
		{native, "com.example.app:/cb2", false},
	}
	for _, c := range cases {
		if got := redirectAllowed(c.c, c.uri); got != c.want {
			t.Errorf("redirectAllowed(%s, %q) = %v, want %v", c.c.AppType, c.uri, got, c.want)
		}
	}
}

func TestValidateClientSpec(t *testing.T) {
	cases := []struct {
		name string
		spec ClientSpec
		want []string // substrings of problems; nil = valid
	}{
		{"web ok", ClientSpec{Name: "A", AppType: "web", Grants: []string{"authorization_code"}, RedirectURIs: []string{"https://a.example/cb"}}, nil},
		{"machine ok", ClientSpec{Name: "A", AppType: "web", Grants: []string{"client_credentials"}}, nil},
		{"native custom scheme", ClientSpec{Name: "A", Public: true, AppType: "native", Grants: []string{"authorization_code"}, RedirectURIs: []string{"com.example.app:/cb"}}, nil},
		{"web custom scheme", ClientSpec{Name: "A", AppType: "web", Grants: []string{"authorization_code"}, RedirectURIs: []string{"com.example.app:/cb"}}, []string{"scheme"}},
		{"javascript scheme", ClientSpec{Name: "A", Public: true, AppType: "native", Grants: []string{"authorization_code"}, RedirectURIs: []string{"javascript:alert(1)"}}, []string{"scheme"}},
		{"relative", ClientSpec{Name: "A", AppType: "web", Grants: []string{"authorization_code"}, RedirectURIs: []string{"/cb"}}, []string{"absolute"}},
		{"spa confidential", ClientSpec{Name: "A", AppType: "spa", Grants: []string{"authorization_code"}, RedirectURIs: []string{"https://a.example/cb"}}, []string{"--public"}},
		{"all at once", ClientSpec{Name: "", AppType: "x", Grants: []string{"password", "password"}}, []string{"name is required", `app type "x"`, `grant "password" must`, "listed twice"}},
	}
	for _, c := range cases {
		err := validateClientSpec(&c.spec)
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: unexpected error %v", c.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not mention %q", c.name, err, w)
			}
		}
	}
}
