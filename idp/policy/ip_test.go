package policy

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestParseAllowlistCanonicalForms(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"203.0.113.7", "203.0.113.7/32"},
		{" 203.0.113.7 ", "203.0.113.7/32"},
		{"2001:db8::7", "2001:db8::7/128"},
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"10.1.2.3/8", "10.0.0.0/8"},              // host bits masked
		{"2001:db8:1:2::5/48", "2001:db8:1::/48"}, // host bits masked
		{"::ffff:198.51.100.9", "198.51.100.9/32"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"::ffff:0:0/95", "::fffe:0:0/95"}, // wider than the mapped space: stays IPv6
		{"0.0.0.0/0", "0.0.0.0/0"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			l, err := ParseAllowlist([]Entry{{CIDR: tt.in, Note: "office"}})
			if err != nil {
				t.Fatalf("ParseAllowlist(%q): %v", tt.in, err)
			}
			if got := l.Entries()[0].CIDR; got != tt.want {
				t.Errorf("ParseAllowlist(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseAllowlistErrors(t *testing.T) {
	tests := []struct {
		name  string
		entry Entry
		want  error
	}{
		{"empty value", Entry{CIDR: "", Note: "x"}, ErrInvalidCIDR},
		{"not an address", Entry{CIDR: "office", Note: "x"}, ErrInvalidCIDR},
		{"octet out of range", Entry{CIDR: "10.0.0.300", Note: "x"}, ErrInvalidCIDR},
		{"prefix too long", Entry{CIDR: "10.0.0.0/33", Note: "x"}, ErrInvalidCIDR},
		{"v6 prefix too long", Entry{CIDR: "2001:db8::/129", Note: "x"}, ErrInvalidCIDR},
		{"hostname", Entry{CIDR: "vpn.example.com", Note: "x"}, ErrInvalidCIDR},
		{"range syntax", Entry{CIDR: "10.0.0.1-10.0.0.9", Note: "x"}, ErrInvalidCIDR},
		{"zone", Entry{CIDR: "fe80::1%eth0", Note: "x"}, ErrZoneNotAllowed},
		{"missing note", Entry{CIDR: "10.0.0.1", Note: ""}, ErrNoteRequired},
		{"blank note", Entry{CIDR: "10.0.0.1", Note: "   "}, ErrNoteRequired},
		{"note too long", Entry{CIDR: "10.0.0.1", Note: strings.Repeat("n", MaxNoteLength+1)}, ErrNoteTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAllowlist([]Entry{{CIDR: "192.0.2.1", Note: "fine"}, tt.entry})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var ee *EntryError
			if !errors.As(err, &ee) {
				t.Fatalf("err %v is not an *EntryError", err)
			}
			if ee.Position != 2 || ee.Value != tt.entry.CIDR {
				t.Errorf("EntryError names entry %d %q, want 2 %q", ee.Position, ee.Value, tt.entry.CIDR)
			}
			if !strings.Contains(err.Error(), "entry 2") {
				t.Errorf("message %q does not name the entry", err)
			}
		})
	}
}

func TestParseAllowlistReportsEveryProblem(t *testing.T) {
	_, err := ParseAllowlist([]Entry{
		{CIDR: "10.0.0.0/8", Note: "HQ"},
		{CIDR: "banana", Note: ""},          // two problems in one entry
		{CIDR: "10.0.0.0/8", Note: "again"}, // duplicate of entry 1
		{CIDR: "198.51.100.0/24", Note: ""},
	})
	var positions []int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ee *EntryError
		if !errors.As(e, &ee) {
			t.Fatalf("%v is not an *EntryError", e)
		}
		positions = append(positions, ee.Position)
	}
	if want := []int{2, 2, 3, 4}; !reflect.DeepEqual(positions, want) {
		t.Errorf("problems reported for entries %v, want %v (err: %v)", positions, want, err)
	}
	if !errors.Is(err, ErrDuplicate) || !strings.Contains(err.Error(), "entry 1") {
		t.Errorf("duplicate not reported against entry 1: %v", err)
	}
	for _, want := range []error{ErrInvalidCIDR, ErrNoteRequired} {
		if !errors.Is(err, want) {
			t.Errorf("joined error lacks %v", want)
		}
	}
	// "10.1.0.0/8" is the same range as "10.0.0.0/8" once masked.
	if _, err := ParseAllowlist([]Entry{{"10.0.0.0/8", "a"}, {"10.1.0.0/8", "b"}}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("masked duplicate not reported: %v", err)
	}
}

func TestAllowlistAllows(t *testing.T) {
	l, err := ParseAllowlist([]Entry{
		{CIDR: "203.0.113.0/24", Note: "Berlin office"},
		{CIDR: "198.51.100.7", Note: "VPN exit"},
		{CIDR: "2001:db8:abcd::/48", Note: "IPv6 office"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ip   string
		want bool
	}{
		{"203.0.113.1", true},
		{"203.0.113.255", true},
		{"203.0.114.1", false},
		{"198.51.100.7", true},
		{"198.51.100.8", false},
		{"::ffff:203.0.113.9", true},  // IPv4-mapped IPv6 matches IPv4 entry
		{"::ffff:198.51.100.7", true}, // ditto for a /32
		{"::ffff:192.0.2.1", false},
		{"2001:db8:abcd:1::1", true},
		{"2001:db8:abce::1", false},
		{"fe80::1%eth0", false},
		{"2001:db8:abcd::1%eth0", true}, // zone ignored
	}
	for _, tt := range tests {
		if got := l.Allows(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Allows(%s) = %v, want %v", tt.ip, got, tt.want)
		}
	}
	if l.Allows(netip.Addr{}) {
		t.Error("a non-empty list allowed the invalid address")
	}
	r, ok := l.Match(netip.MustParseAddr("198.51.100.7"))
	if !ok || r.Note != "VPN exit" {
		t.Errorf("Match = %+v, %v; want the VPN exit entry", r, ok)
	}
	if _, ok := l.Match(netip.MustParseAddr("192.0.2.1")); ok {
		t.Error("Match found a range for an address outside the list")
	}
}

func TestEmptyAllowlistAllowsEverything(t *testing.T) {
	for _, l := range []Allowlist{{}, mustAllowlist(t, nil)} {
		if !l.Empty() || l.Len() != 0 {
			t.Fatalf("list not empty: %+v", l)
		}
		for _, ip := range []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"), {}} {
			if !l.Allows(ip) {
				t.Errorf("empty list refused %v", ip)
			}
		}
	}
}

func TestWouldLockOut(t *testing.T) {
	office := mustAllowlist(t, []Entry{{CIDR: "203.0.113.0/24", Note: "office"}})
	tests := []struct {
		name string
		list Allowlist
		ip   netip.Addr
		want bool
	}{
		{"inside", office, netip.MustParseAddr("203.0.113.5"), false},
		{"inside mapped", office, netip.MustParseAddr("::ffff:203.0.113.5"), false},
		{"outside", office, netip.MustParseAddr("192.0.2.5"), true},
		{"unknown current address", office, netip.Addr{}, true},
		{"empty list never locks out", Allowlist{}, netip.MustParseAddr("192.0.2.5"), false},
	}
	for _, tt := range tests {
		if got := WouldLockOut(tt.list, tt.ip); got != tt.want {
			t.Errorf("%s: WouldLockOut = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAllowlistRoundTrip(t *testing.T) {
	in := []Entry{
		{CIDR: " 10.1.2.3/8 ", Note: "  HQ  "},
		{CIDR: "::ffff:192.0.2.1", Note: "mapped"},
		{CIDR: "2001:db8::1", Note: "v6 host"},
	}
	l := mustAllowlist(t, in)
	want := []Entry{{"10.0.0.0/8", "HQ"}, {"192.0.2.1/32", "mapped"}, {"2001:db8::1/128", "v6 host"}}
	if got := l.Entries(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Entries() = %v, want %v", got, want)
	}
	again := mustAllowlist(t, l.Entries())
	if !reflect.DeepEqual(again, l) {
		t.Errorf("round trip changed the list: %v != %v", again.Entries(), l.Entries())
	}
	rs := l.Ranges()
	rs[0].Note = "changed"
	if l.Ranges()[0].Note != "HQ" {
		t.Error("Ranges() exposed the internal slice")
	}
}

func mustAllowlist(t *testing.T, entries []Entry) Allowlist {
	t.Helper()
	l, err := ParseAllowlist(entries)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
