package login

import "net/netip"

// LocationFunc names the location of a client address: a stable key for
// "seen before" comparisons and a label for people. *geo.Locator provides
// one (cmd/gatehouse wires it); nil means the /24 or /48 network.
type LocationFunc func(ip netip.Addr) (key, label string)

// NetworkLocation is the location key without a GeoIP database: the /24
// (IPv4) or /48 (IPv6) network, the same rule as idp/geo's fallback.
func NetworkLocation(ip netip.Addr) (string, string) {
	if !ip.IsValid() {
		return "", ""
	}
	ip = ip.Unmap().WithZone("")
	bits := 48
	if ip.Is4() {
		bits = 24
	}
	pfx, err := ip.Prefix(bits)
	if err != nil {
		return "", ""
	}
	return "net:" + pfx.String(), "Network " + pfx.String()
}
