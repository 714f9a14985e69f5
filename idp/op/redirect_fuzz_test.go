package op

import (
	"net"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// FuzzRedirectAllowed: an accepted redirect URI equals a registered one byte
// for byte, or — for a native public client only — is a loopback http URI
// (literal IP) that differs from a registered loopback http URI in the port
// alone. The property is checked with string operations, independently of
// the url.Parse-based implementation. Seeds: f.Add below and
// testdata/fuzz/FuzzRedirectAllowed.
func FuzzRedirectAllowed(f *testing.F) {
	for _, s := range []struct {
		reg1, reg2, uri string
		native          bool
	}{
		{"https://desk.example/cb", "http://127.0.0.1:3000/cb", "https://desk.example/cb", false},
		{"https://desk.example/cb", "", "https://desk.example/cb/", false},
		{"https://desk.example/cb", "", "https://desk.example@evil.example/cb", false},
		{"http://127.0.0.1:3000/cb", "", "http://127.0.0.1:3001/cb", false},
		{"http://127.0.0.1/cb", "", "http://127.0.0.1:54321/cb", true},
		{"http://127.0.0.1/cb", "", "http://127.0.0.1:54321/cb?", true},
		{"http://127.0.0.1/cb", "", "http://127.0.0.1:54321/cb#", true},
		{"http://127.0.0.1/cb", "", "http://127.0.0.1:/cb", true},
		{"http://127.0.0.1/cb", "", "http://127.0.0.1:54321/%63b", true},
		{"http://127.0.0.1/cb", "", "HTTP://127.0.0.1:54321/cb", true},
		{"http://127.0.0.1/cb", "", "http://127.0.0.1:54321/cb?x=1", true},
		{"http://[::1]:8080/cb?x=1", "", "http://[::1]:9/cb?x=1", true},
		{"http://[::1]/cb", "", "http://[0:0::1]:9/cb", true},
		{"http://localhost/cb", "", "http://localhost:9/cb", true},
		{"http://127.0.0.1/cb", "", "http://u@127.0.0.1:9/cb", true},
		{"http://127.0.0.1/cb", "", "https://127.0.0.1:9/cb", true},
		{"com.example.app:/cb", "", "com.example.app:/cb", true},
		{"http://127.0.0.1/cb", "", "http://127.0.0.2:9/cb", true},
	} {
		f.Add(s.reg1, s.reg2, s.uri, s.native)
	}
	f.Fuzz(func(t *testing.T, reg1, reg2, uri string, native bool) {
		c := &store.Client{AppType: store.AppWeb, RedirectURIs: []string{reg1, reg2}}
		if native {
			c.Public, c.AppType = true, store.AppNative
		}
		if !redirectAllowed(c, uri) {
			return
		}
		if uri == "" {
			t.Fatal("accepted an empty redirect URI")
		}
		if uri == reg1 || uri == reg2 {
			return
		}
		if !native {
			t.Fatalf("confidential client: accepted %q, registered %q, %q", uri, reg1, reg2)
		}
		host, rest, ok := splitHTTPAuthority(uri)
		if !ok || !loopbackLiteral(host) {
			t.Fatalf("accepted %q: not a loopback http URI", uri)
		}
		for _, reg := range []string{reg1, reg2} {
			if rhost, rrest, ok := splitHTTPAuthority(reg); ok && rhost == host && rrest == rest {
				return
			}
		}
		t.Fatalf("accepted %q: differs from %q and %q in more than the port", uri, reg1, reg2)
	})
}

// splitHTTPAuthority splits "http://HOST[:PORT]REST" into HOST (brackets
// kept) and REST, dropping a port of decimal digits; ok is false for other
// shapes.
func splitHTTPAuthority(s string) (host, rest string, ok bool) {
	after, ok := strings.CutPrefix(s, "http://")
	if !ok {
		return "", "", false
	}
	end := strings.IndexAny(after, "/?#")
	if end < 0 {
		end = len(after)
	}
	auth, rest := after[:end], after[end:]
	if i := strings.LastIndexByte(auth, ':'); i >= 0 && !strings.Contains(auth[i:], "]") {
		for _, ch := range auth[i+1:] {
			if ch < '0' || ch > '9' {
				return "", "", false
			}
		}
		auth = auth[:i]
	}
	return auth, rest, true
}

func loopbackLiteral(host string) bool {
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}
