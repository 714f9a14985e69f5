// Package geo turns a client IP address into a coarse location for sign-in risk checks
// and for the "new location" notice: country and city from a MaxMind-format database
// (GeoLite2-City, GeoIP2-City, or a Country database) read with
// github.com/oschwald/maxminddb-golang/v2, and a stable Location.Key that the risk step
// compares against the locations a user has signed in from before.
//
// The database is optional. Without one, or for addresses it does not know, the key is
// the client's network (the /24 for IPv4, the /48 for IPv6), so "new location" still
// means something: a new network.
//
// geo is a leaf: it must NOT import idp/store or any other idp package. Deciding which
// IP is the client's (trusted proxies) is the caller's job.
package geo
