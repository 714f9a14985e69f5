package idp

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
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

func TestPasswordStep(t *testing.T) {
	sealer, err := seal.New(make([]byte, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_900_000_000, 0)
	s := &Server{sealer: sealer, clock: func() time.Time { return now }}
	v := s.stepValue("t1", "ar1", "u1", now.Add(stepTTL))
	if uid, ok := s.checkStep(v, "t1", "ar1"); !ok || uid != "u1" {
		t.Fatalf("valid step: %q %v", uid, ok)
	}
	for name, bad := range map[string]func() (string, string, string){
		"other request": func() (string, string, string) { return v, "t1", "ar2" },
		"other tenant":  func() (string, string, string) { return v, "t2", "ar1" },
		"other user, old mac": func() (string, string, string) {
			other := s.stepValue("t1", "ar1", "u2", now.Add(stepTTL))
			return strings.Split(other, ".")[0] + "." + strings.Split(v, ".")[1], "t1", "ar1"
		},
		"no mac":  func() (string, string, string) { return strings.Split(v, ".")[0], "t1", "ar1" },
		"expired": func() (string, string, string) { return s.stepValue("t1", "ar1", "u1", now), "t1", "ar1" },
	} {
		val, tid, ar := bad()
		if _, ok := s.checkStep(val, tid, ar); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPasswordPolicyFromSettings(t *testing.T) {
	zero := 0
	p := manage.PasswordPolicy(store.TenantSettings{PolicySettings: store.PolicySettings{PasswordStrength: "strong", PasswordMinLength: 16, PasswordMaxAgeDays: 90, PasswordHistory: &zero}})
	if p.Strength != policy.LevelStrong || p.MinLength != 16 || p.MaxAgeDays != 90 || p.HistoryCount != 0 || p.MaxLength != 128 {
		t.Fatalf("policy: %+v", p)
	}
	d := manage.PasswordPolicy(store.TenantSettings{})
	if d != policy.DefaultPasswordPolicy() {
		t.Fatalf("defaults: %+v", d)
	}
}
