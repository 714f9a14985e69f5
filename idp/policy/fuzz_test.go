package policy

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/ and run with every
// `go test`; `go test -fuzz=FuzzClientIP -fuzztime=15s` explores further.

// FuzzClientIP: remote is RemoteAddr, xff holds header lines separated by
// "\n", trusted holds proxy ranges separated by ",".
func FuzzClientIP(f *testing.F) {
	f.Fuzz(func(t *testing.T, remote, xff, trusted string) {
		p, err := ParseTrustedProxies(strings.Split(trusted, ","))
		if err != nil {
			p = ProxyPolicy{}
		}
		var lines []string
		if xff != "" {
			lines = strings.Split(xff, "\n")
		}
		got, err := p.ClientIP(remote, lines)
		peer, peerOK := parseHop(remote)
		if err != nil {
			if !errors.Is(err, ErrBadRemoteAddr) || peerOK {
				t.Fatalf("ClientIP(%q) failed with %v although the remote address parses as %v", remote, err, peer)
			}
			return
		}
		if !peerOK {
			t.Fatalf("ClientIP(%q) = %v for an unparseable remote address", remote, got)
		}
		if !got.IsValid() || got.Is4In6() || got.Zone() != "" {
			t.Fatalf("ClientIP returned a non-canonical address %v", got)
		}
		if !p.IsTrusted(peer) {
			if got != peer {
				t.Fatalf("untrusted peer %v but ClientIP = %v (header believed)", peer, got)
			}
			return
		}
		if got == peer {
			return
		}
		// Otherwise the answer must be one of the hops in the header.
		for _, line := range lines {
			for hop := range strings.SplitSeq(line, ",") {
				if a, ok := parseHop(hop); ok && a == got {
					return
				}
			}
		}
		t.Fatalf("ClientIP(%q, %q) = %v, which is not in the input", remote, lines, got)
	})
}

// FuzzParseAllowlist: one entry per line, "cidr<TAB>note".
func FuzzParseAllowlist(f *testing.F) {
	f.Fuzz(func(t *testing.T, data string) {
		var entries []Entry
		for line := range strings.SplitSeq(data, "\n") {
			cidr, note, _ := strings.Cut(line, "\t")
			entries = append(entries, Entry{CIDR: cidr, Note: note})
		}
		l, err := ParseAllowlist(entries)
		if err != nil {
			joined, ok := err.(interface{ Unwrap() []error })
			if !ok {
				t.Fatalf("error is not a join: %v", err)
			}
			for _, e := range joined.Unwrap() {
				var ee *EntryError
				if !errors.As(e, &ee) || ee.Position < 1 || ee.Position > len(entries) || ee.Value != entries[ee.Position-1].CIDR {
					t.Fatalf("error %v does not name a real entry", e)
				}
			}
			return
		}
		if l.Len() != len(entries) {
			t.Fatalf("parsed %d ranges from %d entries", l.Len(), len(entries))
		}
		again, err := ParseAllowlist(l.Entries())
		if err != nil {
			t.Fatalf("canonical entries %v do not parse: %v", l.Entries(), err)
		}
		if !reflect.DeepEqual(again, l) {
			t.Fatalf("round trip changed %v into %v", l.Entries(), again.Entries())
		}
		for _, r := range l.Ranges() {
			if r.Prefix != r.Prefix.Masked() || r.Note == "" {
				t.Fatalf("range %v (%q) is not canonical", r.Prefix, r.Note)
			}
			if !l.Allows(r.Prefix.Addr()) {
				t.Fatalf("list refuses its own range's address %v", r.Prefix.Addr())
			}
			if a := r.Prefix.Addr(); a.Is4() && !l.Allows(netip.AddrFrom16(a.As16())) {
				t.Fatalf("list refuses the IPv4-mapped form of %v", a)
			}
		}
	})
}

// FuzzPasswordCheck: zxcvbn-go has panicked on unusual input in the past;
// Check must never panic and must only ever answer nil or a rejection.
func FuzzPasswordCheck(f *testing.F) {
	p := DefaultPasswordPolicy()
	p.MinLength = FloorMinLength
	f.Fuzz(func(t *testing.T, password, email string) {
		err := p.Check(password, []string{email, "Jane Doe", "Acme Helpdesk"})
		if err != nil && !errors.Is(err, ErrPasswordRejected) {
			t.Fatalf("Check returned a non-rejection error: %v", err)
		}
		if err == nil && utf8.RuneCountInString(NormalizePassword(password)) < p.MinLength {
			t.Fatalf("accepted a password shorter than %d characters", p.MinLength)
		}
	})
}
