package idp

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/policy"
)

// proxyPolicy decides the client IP of a request: RemoteAddr, unless the
// direct peer is a configured trusted proxy (then X-Forwarded-For, read right
// to left). Links and issuers are never built from forwarded headers.
type proxyPolicy struct{ p policy.ProxyPolicy }

func newProxyPolicy(cidrs []string) (*proxyPolicy, error) {
	p, err := policy.ParseTrustedProxies(cidrs)
	if err != nil {
		return nil, err
	}
	return &proxyPolicy{p: p}, nil
}

// clientIP returns the client address as text ("" when it cannot be told).
func (pp *proxyPolicy) clientIP(r *http.Request) string {
	ip, err := pp.p.ClientIPFromRequest(r)
	if err != nil {
		return ""
	}
	return ip.String()
}
