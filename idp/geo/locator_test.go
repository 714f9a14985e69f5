package geo_test

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/gatehouse-idp/gatehouse/idp/geo"
)

func names(en string) mmdbtype.Map {
	return mmdbtype.Map{"en": mmdbtype.String(en), "de": mmdbtype.String(en + " (de)")}
}

func country(iso, en string) mmdbtype.Map {
	return mmdbtype.Map{"iso_code": mmdbtype.String(iso), "geoname_id": mmdbtype.Uint32(1), "names": names(en)}
}

// writeDB builds a GeoLite2-City-shaped database in the test's temp dir. The networks
// are documentation ranges (RFC 5737, RFC 3849), hence IncludeReservedNetworks.
func writeDB(t *testing.T, dbType string) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            dbType,
		RecordSize:              24,
		IPVersion:               6,
		IncludeReservedNetworks: true,
		Languages:               []string{"en", "de"},
	})
	if err != nil {
		t.Fatal(err)
	}
	insert := func(cidr string, rec mmdbtype.Map) {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(network, rec); err != nil {
			t.Fatalf("insert %s: %v", cidr, err)
		}
	}
	insert("203.0.113.0/25", mmdbtype.Map{
		"country":   country("US", "United States"),
		"city":      mmdbtype.Map{"geoname_id": mmdbtype.Uint32(4887398), "names": names("Chicago")},
		"continent": mmdbtype.Map{"code": mmdbtype.String("NA")},
	})
	insert("198.51.100.0/24", mmdbtype.Map{"country": country("DE", "Germany")})
	insert("2001:db8:1::/48", mmdbtype.Map{
		"country": country("JP", "Japan"),
		"city":    mmdbtype.Map{"names": names("Tokyo")},
	})
	// Known network without a country (satellite/anycast providers look like this).
	insert("100.64.0.0/24", mmdbtype.Map{"continent": mmdbtype.Map{"code": mmdbtype.String("EU")}})

	path := filepath.Join(t.TempDir(), "test-city.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLookup(t *testing.T) {
	loc, err := geo.Open(writeDB(t, "GeoLite2-City"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { loc.Close() })

	tests := []struct {
		name string
		ip   string
		want geo.Location
	}{
		{"known city", "203.0.113.9", geo.Location{Country: "US", CountryName: "United States", City: "Chicago", Key: "US:Chicago"}},
		{"country only", "198.51.100.200", geo.Location{Country: "DE", CountryName: "Germany", Key: "DE"}},
		{"IPv6 city", "2001:db8:1:42::7", geo.Location{Country: "JP", CountryName: "Japan", City: "Tokyo", Key: "JP:Tokyo"}},
		{"IPv4-mapped IPv6 is the IPv4 address", "::ffff:203.0.113.9", geo.Location{Country: "US", CountryName: "United States", City: "Chicago", Key: "US:Chicago"}},
		{"unknown IPv4 falls back to its /24", "192.0.2.77", geo.Location{Key: "net:192.0.2.0/24"}},
		{"same /24 as a city, outside its /25", "203.0.113.200", geo.Location{Key: "net:203.0.113.0/24"}},
		{"unknown IPv4-mapped falls back to the IPv4 /24", "::ffff:192.0.2.77", geo.Location{Key: "net:192.0.2.0/24"}},
		{"unknown IPv6 falls back to its /48", "2001:db8:2:3::1", geo.Location{Key: "net:2001:db8:2::/48"}},
		{"IPv6 zone is ignored", "fe80::1%eth0", geo.Location{Key: "net:fe80::/48"}},
		{"record without a country falls back", "100.64.0.5", geo.Location{Key: "net:100.64.0.0/24"}},
		{"loopback", "127.0.0.1", geo.Location{Key: "net:127.0.0.0/24"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := loc.Lookup(netip.MustParseAddr(tc.ip)); got != tc.want {
				t.Fatalf("Lookup(%s) = %+v, want %+v", tc.ip, got, tc.want)
			}
		})
	}
	if got := loc.Lookup(netip.Addr{}); got != (geo.Location{}) {
		t.Fatalf("invalid address: %+v, want the zero Location", got)
	}
}

func TestWithoutDatabaseEveryLookupIsTheNetwork(t *testing.T) {
	loc, err := geo.Open("")
	if err != nil {
		t.Fatal(err)
	}
	var zero geo.Locator
	var nilLoc *geo.Locator
	for _, l := range []*geo.Locator{loc, &zero, nilLoc} {
		if got := l.Lookup(netip.MustParseAddr("203.0.113.9")); got != (geo.Location{Key: "net:203.0.113.0/24"}) {
			t.Errorf("got %+v", got)
		}
		if got := l.Lookup(netip.MustParseAddr("2001:db8:1:42::7")).Key; got != "net:2001:db8:1::/48" {
			t.Errorf("got %q", got)
		}
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

func TestOpenRefusesWhatItCannotUse(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.mmdb")
	if err := os.WriteFile(garbage, []byte("not a maxmind database"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		"missing file":  filepath.Join(dir, "nope.mmdb"),
		"not a mmdb":    garbage,
		"ASN database":  writeDB(t, "GeoLite2-ASN"),
		"some other db": writeDB(t, "Acme-Proxy-List"),
	} {
		t.Run(name, func(t *testing.T) {
			l, err := geo.Open(path)
			if err == nil {
				l.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), "geo:") {
				t.Errorf("err = %v", err)
			}
		})
	}
	l, err := geo.Open(writeDB(t, "GeoLite2-Country"))
	if err != nil {
		t.Fatalf("a Country database should open: %v", err)
	}
	l.Close()
}

func TestConcurrentLookupsAndClose(t *testing.T) {
	loc, err := geo.Open(writeDB(t, "GeoIP2-City"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	ips := []netip.Addr{netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("2001:db8:1::1"), netip.MustParseAddr("192.0.2.1")}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				got := loc.Lookup(ips[(g+i)%len(ips)])
				if got.Key == "" {
					t.Error("empty key")
					return
				}
			}
		}()
	}
	wg.Wait()
	// Close while lookups run: they must fall back, not crash.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 500 {
			loc.Lookup(ips[0])
		}
	}()
	if err := loc.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
	if got := loc.Lookup(ips[0]).Key; got != "net:203.0.113.0/24" {
		t.Fatalf("after Close: %q, want the network fallback", got)
	}
}

func TestNetworkKey(t *testing.T) {
	for ip, want := range map[string]string{
		"203.0.113.255":        "net:203.0.113.0/24",
		"::ffff:203.0.113.255": "net:203.0.113.0/24",
		"2001:db8:abcd:12::1":  "net:2001:db8:abcd::/48",
		"::1":                  "net:::/48",
	} {
		if got := geo.NetworkKey(netip.MustParseAddr(ip)); got != want {
			t.Errorf("NetworkKey(%s) = %q, want %q", ip, got, want)
		}
	}
	if got := geo.NetworkKey(netip.Addr{}); got != "" {
		t.Errorf("invalid: %q", got)
	}
}
