package policy

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Trusted-proxy and client-address errors, matched with errors.Is.
var (
	ErrTrustAll      = errors.New("trusts every address, so any client could forge its IP; list only your proxies' addresses")
	ErrBadRemoteAddr = errors.New("policy: remote address is not an IP address")
)

// ProxyPolicy says which direct peers are reverse proxies whose
// X-Forwarded-For header may be believed. The zero value trusts no one: the
// client IP is always the TCP peer.
type ProxyPolicy struct {
	Trusted []netip.Prefix
}

// ParseTrustedProxies parses addresses and CIDR ranges of trusted proxies.
// Ranges are masked, IPv4-mapped forms become IPv4, and a range covering the
// whole address space (0.0.0.0/0, ::/0) is refused: trusting everyone means
// believing a header anyone can send. Every problem is reported at once.
func ParseTrustedProxies(values []string) (ProxyPolicy, error) {
	var (
		errs    []error
		trusted = make([]netip.Prefix, 0, len(values))
	)
	for i, v := range values {
		p, err := parseRange(strings.TrimSpace(v))
		if err == nil && p.Bits() == 0 {
			err = ErrTrustAll
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("trusted proxy %d (%q): %w", i+1, v, err))
			continue
		}
		trusted = append(trusted, p)
	}
	if len(errs) > 0 {
		return ProxyPolicy{}, errors.Join(errs...)
	}
	return ProxyPolicy{Trusted: trusted}, nil
}

// IsTrusted reports whether ip belongs to a trusted proxy.
func (p ProxyPolicy) IsTrusted(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	for _, t := range p.Trusted {
		if t.Contains(ip) {
			return true
		}
	}
	return false
}

// ClientIP decides the client's address from the TCP peer (remoteAddr, as in
// http.Request.RemoteAddr: "ip:port", "[ipv6]:port" or a bare address) and
// the X-Forwarded-For header lines (each may hold a comma-separated list).
//
//   - If the peer is not a trusted proxy, the peer is the client and the
//     header is ignored: anyone can send X-Forwarded-For.
//   - Otherwise the header, all lines joined in order, is read right to left.
//     Each trusted hop is skipped; the first untrusted address is the client.
//   - If every hop is trusted, the left-most one is the client.
//   - A malformed hop stops the walk and the last good hop (the right-most
//     trusted address already accepted, possibly the peer itself) is used:
//     nothing to the left of garbage is believed.
//
// Empty list elements are ignored (RFC 9110 §5.6.1). A hop may carry a port
// ("203.0.113.7:4711", "[2001:db8::7]:443") as some load balancers add one.
// The result is unmapped (::ffff:1.2.3.4 becomes 1.2.3.4) and has no zone.
func (p ProxyPolicy) ClientIP(remoteAddr string, xff []string) (netip.Addr, error) {
	peer, ok := parseHop(remoteAddr)
	if !ok {
		return netip.Addr{}, fmt.Errorf("%w: %q", ErrBadRemoteAddr, remoteAddr)
	}
	if !p.IsTrusted(peer) {
		return peer, nil
	}
	last := peer
	for i := len(xff) - 1; i >= 0; i-- {
		line := xff[i]
		for line != "" {
			var hop string
			if j := strings.LastIndexByte(line, ','); j >= 0 {
				hop, line = line[j+1:], line[:j]
			} else {
				hop, line = line, ""
			}
			hop = strings.TrimSpace(hop)
			if hop == "" {
				continue
			}
			ip, ok := parseHop(hop)
			if !ok {
				return last, nil
			}
			if !p.IsTrusted(ip) {
				return ip, nil
			}
			last = ip
		}
	}
	return last, nil
}

// ClientIPFromRequest is ClientIP for an *http.Request: it reads RemoteAddr
// and every X-Forwarded-For line and nothing else.
func (p ProxyPolicy) ClientIPFromRequest(r *http.Request) (netip.Addr, error) {
	return p.ClientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"))
}

// parseHop parses an address with or without a port, unmapped and zoneless.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}
