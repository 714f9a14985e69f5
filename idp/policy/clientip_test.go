package policy

import (
	"errors"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestParseTrustedProxies(t *testing.T) {
	p, err := ParseTrustedProxies([]string{"10.0.0.0/8", " 192.168.1.10 ", "::ffff:172.16.0.0/108", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, pr := range p.Trusted {
		got = append(got, pr.String())
	}
	if want := "10.0.0.0/8 192.168.1.10/32 172.16.0.0/12 fd00::/8"; strings.Join(got, " ") != want {
		t.Errorf("Trusted = %v, want %s", got, want)
	}

	_, err = ParseTrustedProxies([]string{"10.0.0.0/8", "0.0.0.0/0", "lb.internal", "::/0"})
	if !errors.Is(err, ErrTrustAll) || !errors.Is(err, ErrInvalidCIDR) {
		t.Fatalf("err = %v, want ErrTrustAll and ErrInvalidCIDR", err)
	}
	for _, want := range []string{`trusted proxy 2 ("0.0.0.0/0")`, `trusted proxy 3 ("lb.internal")`, `trusted proxy 4 ("::/0")`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "proxy 1") {
		t.Errorf("error blames the valid entry: %v", err)
	}
}

func TestClientIP(t *testing.T) {
	p, err := ParseTrustedProxies([]string{"10.0.0.0/8", "2001:db8:ffff::/48"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"untrusted peer, no header", "203.0.113.7:51000", nil, "203.0.113.7"},
		{"untrusted peer spoofs header", "203.0.113.7:51000", []string{"1.1.1.1"}, "203.0.113.7"},
		{"untrusted peer spoofs trusted header", "203.0.113.7:51000", []string{"10.0.0.1"}, "203.0.113.7"},
		{"trusted peer, no header", "10.0.0.2:8080", nil, "10.0.0.2"},
		{"trusted peer, empty header", "10.0.0.2:8080", []string{""}, "10.0.0.2"},
		{"one proxy", "10.0.0.2:8080", []string{"198.51.100.4"}, "198.51.100.4"},
		{"client-sent spoof left of real client", "10.0.0.2:8080", []string{"6.6.6.6, 198.51.100.4"}, "198.51.100.4"},
		{"chain of trusted proxies", "10.0.0.2:8080", []string{"198.51.100.4, 10.1.1.1, 10.2.2.2"}, "198.51.100.4"},
		{"header split over lines", "10.0.0.2:8080", []string{"6.6.6.6, 198.51.100.4", "10.1.1.1", "10.2.2.2"}, "198.51.100.4"},
		{"all hops trusted: left-most", "10.0.0.2:8080", []string{"10.9.9.9, 10.1.1.1"}, "10.9.9.9"},
		{"garbage right-most: the peer", "10.0.0.2:8080", []string{"198.51.100.4, garbage"}, "10.0.0.2"},
		{"garbage behind trusted hop: that hop", "10.0.0.2:8080", []string{"198.51.100.4, nonsense, 10.1.1.1"}, "10.1.1.1"},
		{"garbage left of client is never reached", "10.0.0.2:8080", []string{"garbage, 198.51.100.4"}, "198.51.100.4"},
		{"unknown token is garbage", "10.0.0.2:8080", []string{"unknown, 10.1.1.1"}, "10.1.1.1"},
		{"empty elements ignored", "10.0.0.2:8080", []string{" , 198.51.100.4,, 10.1.1.1 ,"}, "198.51.100.4"},
		{"hop with port", "10.0.0.2:8080", []string{"198.51.100.4:4711"}, "198.51.100.4"},
		{"v6 hop with port", "10.0.0.2:8080", []string{"[2001:db8::4]:443"}, "2001:db8::4"},
		{"v6 hop", "[2001:db8:ffff::1]:443", []string{"2001:db8::4"}, "2001:db8::4"},
		{"mapped hop unmapped", "10.0.0.2:8080", []string{"::ffff:198.51.100.4"}, "198.51.100.4"},
		{"mapped trusted peer", "[::ffff:10.0.0.2]:8080", []string{"198.51.100.4"}, "198.51.100.4"},
		{"mapped untrusted peer unmapped", "[::ffff:203.0.113.7]:8080", []string{"198.51.100.4"}, "203.0.113.7"},
		{"peer zone dropped", "[fe80::1%eth0]:80", nil, "fe80::1"},
		{"bare remote address", "203.0.113.7", nil, "203.0.113.7"},
		{"trusted mapped hop skipped", "10.0.0.2:8080", []string{"198.51.100.4, ::ffff:10.3.3.3"}, "198.51.100.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.ClientIP(tt.remote, tt.xff)
			if err != nil {
				t.Fatalf("ClientIP: %v", err)
			}
			if got != netip.MustParseAddr(tt.want) {
				t.Errorf("ClientIP(%q, %q) = %v, want %s", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}

func TestClientIPBadRemoteAddr(t *testing.T) {
	for _, remote := range []string{"", "@", "localhost:80", "10.0.0.1:port", "[10.0.0.1]:80x"} {
		_, err := (ProxyPolicy{}).ClientIP(remote, []string{"198.51.100.4"})
		if !errors.Is(err, ErrBadRemoteAddr) {
			t.Errorf("ClientIP(%q) err = %v, want ErrBadRemoteAddr", remote, err)
		}
	}
}

func TestClientIPZeroPolicyTrustsNoOne(t *testing.T) {
	got, err := (ProxyPolicy{}).ClientIP("10.0.0.2:8080", []string{"198.51.100.4"})
	if err != nil || got != netip.MustParseAddr("10.0.0.2") {
		t.Errorf("zero policy: ClientIP = %v, %v; want the peer", got, err)
	}
}

func TestClientIPFromRequest(t *testing.T) {
	p, err := ParseTrustedProxies([]string{"192.0.2.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/t/acme/login", nil) // RemoteAddr 192.0.2.1:1234
	r.Header.Add("X-Forwarded-For", "6.6.6.6, 198.51.100.4")
	r.Header.Add("X-Forwarded-For", "192.0.2.50")
	got, err := p.ClientIPFromRequest(r)
	if err != nil || got != netip.MustParseAddr("198.51.100.4") {
		t.Errorf("ClientIPFromRequest = %v, %v; want 198.51.100.4", got, err)
	}
}
