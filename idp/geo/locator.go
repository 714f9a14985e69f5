package geo

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Location is where an address appears to be. Country is the ISO 3166-1 alpha-2 code,
// CountryName and City are English names; any of them may be empty.
//
// Key identifies the location for "have we seen this before" comparisons:
//
//	"US:Chicago"              the database knows country and city
//	"DE"                      the database knows only the country
//	"net:203.0.113.0/24"      no database, or the address is not in it (IPv4: the /24)
//	"net:2001:db8:1::/48"     the same for IPv6 (the /48)
//
// The zero Location (Key "") is returned only for an invalid address; callers must treat
// an empty Key as "unknown", never as a match.
type Location struct {
	Country     string
	CountryName string
	City        string
	Key         string
}

// Locator looks up locations. The zero value and a nil *Locator are valid and use only
// the network fallback. Safe for concurrent use.
type Locator struct {
	mu sync.RWMutex // guards db against Close during lookups
	db *maxminddb.Reader
}

// Open opens a MaxMind-format database at path. An empty path means no database: every
// lookup uses the network fallback. The database must be a City or Country database
// (checked from its metadata), so an ASN database is refused instead of silently
// matching nothing.
func Open(path string) (*Locator, error) {
	if path == "" {
		return &Locator{}, nil
	}
	db, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geo: opening %s: %w", path, err)
	}
	kind := strings.ToLower(db.Metadata.DatabaseType)
	if !strings.Contains(kind, "city") && !strings.Contains(kind, "country") {
		_ = db.Close()
		return nil, fmt.Errorf("geo: %s: database type %q has no country data; want a City or Country database (e.g. GeoLite2-City)", path, db.Metadata.DatabaseType)
	}
	return &Locator{db: db}, nil
}

// Close releases the database. Lookups after Close use the network fallback.
func (l *Locator) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.db == nil {
		return nil
	}
	err := l.db.Close()
	l.db = nil
	return err
}

// record is the part of a GeoLite2-City / GeoLite2-Country record Gatehouse reads.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   struct {
			EN string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"country"`
	City struct {
		Names struct {
			EN string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"city"`
}

// Lookup returns the location of ip. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are
// treated as the IPv4 address and zones are ignored, so one client gets one key however
// the listener reports its address. A database error is not returned: the lookup falls
// back to the network key, because a location is advisory, not a reason to fail a
// sign-in.
func (l *Locator) Lookup(ip netip.Addr) Location {
	if !ip.IsValid() {
		return Location{}
	}
	ip = ip.Unmap().WithZone("")
	if loc, ok := l.lookupDB(ip); ok {
		return loc
	}
	return Location{Key: NetworkKey(ip)}
}

func (l *Locator) lookupDB(ip netip.Addr) (Location, bool) {
	if l == nil {
		return Location{}, false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.db == nil {
		return Location{}, false
	}
	res := l.db.Lookup(ip)
	if !res.Found() {
		return Location{}, false
	}
	var rec record
	if err := res.Decode(&rec); err != nil || rec.Country.ISOCode == "" {
		return Location{}, false
	}
	loc := Location{
		Country:     strings.ToUpper(rec.Country.ISOCode),
		CountryName: rec.Country.Names.EN,
		City:        rec.City.Names.EN,
	}
	loc.Key = loc.Country
	if loc.City != "" {
		loc.Key += ":" + loc.City
	}
	return loc, true
}

// NetworkKey is the fallback key for ip: "net:" and the /24 (IPv4, including
// IPv4-mapped IPv6) or /48 (IPv6) containing it. It returns "" for an invalid address.
func NetworkKey(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	ip = ip.Unmap().WithZone("")
	bits := 48
	if ip.Is4() {
		bits = 24
	}
	prefix, err := ip.Prefix(bits)
	if err != nil {
		return ""
	}
	return "net:" + prefix.String()
}
