package manage

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/policy"
)

func TestCheckSigninLockout(t *testing.T) {
	office := []policy.Entry{{CIDR: "192.0.2.0/24", Note: "HQ"}, {CIDR: "2001:db8::/32", Note: "HQ v6"}}
	tests := []struct {
		name    string
		entries []policy.Entry
		ip      string
		force   bool
		want    error
	}{
		{"inside v4", office, "192.0.2.10", false, nil},
		{"inside v6", office, "2001:db8::1", false, nil},
		{"mapped v4 inside", office, "::ffff:192.0.2.10", false, nil},
		{"outside", office, "198.51.100.1", false, ErrLockout},
		{"outside v6", office, "2001:db9::1", false, ErrLockout},
		{"forced", office, "198.51.100.1", true, nil},
		{"no current address (CLI on the server)", office, "", false, nil},
		{"empty list restricts nothing", nil, "198.51.100.1", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSigninLockout(tc.entries, tc.ip, tc.force)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var le *LockoutError
			if tc.want != nil && (!errors.As(err, &le) || !strings.Contains(err.Error(), le.IP) || le.IP == "") {
				t.Fatalf("lockout error does not name the address: %v", err)
			}
		})
	}
	var ie *InputError
	if err := CheckSigninLockout(office, "not-an-ip", false); !errors.As(err, &ie) {
		t.Fatalf("bad current address: %v", err)
	}
}
