package op

import (
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
