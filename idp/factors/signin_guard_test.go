package factors

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func TestIPKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":           "ip:192.0.2.7",
		"::ffff:192.0.2.7":    "ip:192.0.2.7",
		"2001:db8:1:2:3::9":   "ip:2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::": "ip:2001:db8:1:2::/64",
		"":                    "",
		"garbage":             "",
	} {
		if got := ipKey(in); got != want {
			t.Errorf("ipKey(%q) = %q, want %q", in, got, want)
		}
	}
	u := &store.User{ID: "u1"}
	if accountKey(u, "A@x.test") != "user:u1" || accountKey(nil, " A@X.test ") != "email:a@x.test" {
		t.Fatal("account keys")
	}
}

func TestThrottleSettings(t *testing.T) {
	for _, limit := range []int{1, 2, 3, 5, 10, 100} {
		set := store.TenantSettings{PolicySettings: store.PolicySettings{LoginMaxFailures: limit}}
		if err := accountThrottle(set).Validate(); err != nil {
			t.Errorf("account throttle for limit %d: %v", limit, err)
		}
		if err := ipThrottle(set).Validate(); err != nil {
			t.Errorf("ip throttle for limit %d: %v", limit, err)
		}
		// The limit-th failure locks.
		if v := accountThrottle(set).Decide(limit, time.Unix(100, 0), time.Unix(100, 0)); !v.Locked {
			t.Errorf("limit %d: %d failures do not lock", limit, limit)
		}
	}
	if got := throttleMessage(policy.Verdict{RetryAfter: 1500 * time.Millisecond}); got != "Too many failed attempts. Try again in 2 seconds." {
		t.Errorf("backoff message %q", got)
	}
	if got := throttleMessage(policy.Verdict{RetryAfter: time.Second}); !strings.HasSuffix(got, "in 1 second.") {
		t.Errorf("one second %q", got)
	}
	if got := throttleMessage(policy.Verdict{Locked: true, RetryAfter: 61 * time.Second}); !strings.Contains(got, "temporarily locked") || !strings.Contains(got, "2 minutes") {
		t.Errorf("lock message %q", got)
	}
}
