package tenant

import "net"

// MaxRedirectURILen bounds a registered or requested redirect URI: longer
// ones are refused when a client is registered and at /authorize.
const MaxRedirectURILen = 2048

// IsLoopbackHost reports whether h is a loopback IP literal (127.0.0.0/8,
// ::1): native apps may vary the port of such a redirect URI (RFC 8252).
// "localhost" is not one: a name can resolve elsewhere.
func IsLoopbackHost(h string) bool {
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// AccountClientID is the internal client of the account pages: signing in
// to them runs the same login transaction as any relying party, with this
// client id and the account page as the "redirect", so every step a tenant
// demands of a sign-in applies there too. No stored client has this id.
const AccountClientID = "_gatehouse_account"
