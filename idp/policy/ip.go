package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// MaxNoteLength is the longest note, in characters, an allowlist entry may carry.
const MaxNoteLength = 200

// Allowlist errors, matched with errors.Is. ParseAllowlist wraps each one in an
// *EntryError that names the entry and its value.
var (
	ErrInvalidCIDR    = errors.New("not an IP address or CIDR range")
	ErrZoneNotAllowed = errors.New("IPv6 zones (the %eth0 part) cannot be used in an allowlist")
	ErrNoteRequired   = errors.New("a note is required (say whose address it is, e.g. \"Berlin office\")")
	ErrNoteTooLong    = fmt.Errorf("the note is longer than %d characters", MaxNoteLength)
	ErrDuplicate      = errors.New("the same range is already listed")
)

// Entry is one allowlist line as an admin types it: an address or CIDR range
// and a note saying whose it is.
type Entry struct {
	CIDR string `json:"cidr" yaml:"cidr"`
	Note string `json:"note" yaml:"note"`
}

// EntryError reports a problem with one entry. Position is 1-based, as the
// admin sees the list.
type EntryError struct {
	Position int
	Value    string
	Err      error
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("allowlist entry %d (%q): %v", e.Position, e.Value, e.Err)
}

func (e *EntryError) Unwrap() error { return e.Err }

// AllowedRange is one parsed entry: a masked prefix and its note.
type AllowedRange struct {
	Prefix netip.Prefix
	Note   string
}

// Allowlist is a parsed, validated IP allowlist. The zero value is the empty
// list, which places no restriction.
type Allowlist struct {
	ranges []AllowedRange
}

// ParseAllowlist validates entries and returns the allowlist. A bare address
// becomes a /32 (IPv4) or /128 (IPv6) range; a CIDR with host bits set is
// masked (10.1.2.3/8 becomes 10.0.0.0/8); an IPv4-mapped IPv6 address or
// range (::ffff:10.0.0.0/104) is stored as its IPv4 form so it matches IPv4
// clients. Every problem is reported at once, joined with errors.Join, each as
// an *EntryError naming the entry and its value.
func ParseAllowlist(entries []Entry) (Allowlist, error) {
	var (
		errs   []error
		ranges = make([]AllowedRange, 0, len(entries))
		seen   = make(map[netip.Prefix]int, len(entries))
	)
	for i, e := range entries {
		pos := i + 1
		value := strings.TrimSpace(e.CIDR)
		note := strings.TrimSpace(e.Note)
		prefix, err := parseRange(value)
		if err != nil {
			errs = append(errs, &EntryError{Position: pos, Value: e.CIDR, Err: err})
		}
		switch {
		case note == "":
			errs = append(errs, &EntryError{Position: pos, Value: e.CIDR, Err: ErrNoteRequired})
		case utf8.RuneCountInString(note) > MaxNoteLength:
			errs = append(errs, &EntryError{Position: pos, Value: e.CIDR, Err: ErrNoteTooLong})
		}
		if err != nil {
			continue
		}
		if first, dup := seen[prefix]; dup {
			errs = append(errs, &EntryError{Position: pos, Value: e.CIDR,
				Err: fmt.Errorf("%w as entry %d (%s)", ErrDuplicate, first, prefix)})
			continue
		}
		seen[prefix] = pos
		ranges = append(ranges, AllowedRange{Prefix: prefix, Note: note})
	}
	if len(errs) > 0 {
		return Allowlist{}, errors.Join(errs...)
	}
	return Allowlist{ranges: ranges}, nil
}

// parseRange turns an address or CIDR into a canonical masked prefix.
func parseRange(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, ErrInvalidCIDR
	}
	if strings.Contains(s, "%") {
		return netip.Prefix{}, ErrZoneNotAllowed
	}
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, ErrInvalidCIDR
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, ErrInvalidCIDR
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	return canonicalPrefix(p), nil
}

// canonicalPrefix masks p and rewrites an IPv4-mapped IPv6 prefix that lies
// wholly inside ::ffff:0:0/96 as the equivalent IPv4 prefix.
func canonicalPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked()
}

// Allows reports whether ip may pass. An empty allowlist allows every
// address; otherwise an invalid address never passes. IPv4-mapped IPv6
// addresses are compared as IPv4 and a zone is ignored.
func (l Allowlist) Allows(ip netip.Addr) bool {
	if len(l.ranges) == 0 {
		return true
	}
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap().WithZone("")
	for _, r := range l.ranges {
		if r.Prefix.Contains(ip) {
			return true
		}
	}
	return false
}

// Match returns the first range that contains ip, for audit events that
// record which entry let a sign-in through.
func (l Allowlist) Match(ip netip.Addr) (AllowedRange, bool) {
	if !ip.IsValid() {
		return AllowedRange{}, false
	}
	ip = ip.Unmap().WithZone("")
	for _, r := range l.ranges {
		if r.Prefix.Contains(ip) {
			return r, true
		}
	}
	return AllowedRange{}, false
}

// Empty reports whether the list has no entries (and so restricts nothing).
func (l Allowlist) Empty() bool { return len(l.ranges) == 0 }

// Len returns the number of entries.
func (l Allowlist) Len() int { return len(l.ranges) }

// Ranges returns a copy of the parsed entries in their original order.
func (l Allowlist) Ranges() []AllowedRange {
	return append([]AllowedRange(nil), l.ranges...)
}

// Entries returns the list in canonical text form (masked CIDR, trimmed
// note), ready to store; ParseAllowlist(l.Entries()) yields an equal list.
func (l Allowlist) Entries() []Entry {
	out := make([]Entry, len(l.ranges))
	for i, r := range l.ranges {
		out[i] = Entry{CIDR: r.Prefix.String(), Note: r.Note}
	}
	return out
}

// WouldLockOut reports whether saving list would shut out the admin making
// the change from currentIP, so the page can ask for confirmation (or refuse).
// An unknown (invalid) current address counts as locked out unless the list
// is empty.
func WouldLockOut(list Allowlist, currentIP netip.Addr) bool {
	return !list.Allows(currentIP)
}
