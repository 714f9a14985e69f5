package policy

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)

func TestThrottleBackoffSchedule(t *testing.T) {
	th := DefaultThrottle()
	// failures in window -> required wait after the last failure
	schedule := []struct {
		failures int
		wait     time.Duration
		locked   bool
	}{
		{0, 0, false},
		{1, 0, false},
		{2, 0, false},
		{3, 0, false},
		{4, 1 * time.Second, false},
		{5, 2 * time.Second, false},
		{6, 4 * time.Second, false},
		{7, 8 * time.Second, false},
		{8, 16 * time.Second, false},
		{9, 32 * time.Second, false},
		{10, 15 * time.Minute, true},
		{25, 15 * time.Minute, true},
	}
	for _, s := range schedule {
		// Right after the last failure.
		v := th.Decide(s.failures, t0, t0)
		want := Verdict{Allowed: s.wait == 0, RetryAfter: s.wait, Locked: s.locked}
		if v != want {
			t.Errorf("%d failures, at once: %+v, want %+v", s.failures, v, want)
		}
		if s.wait == 0 {
			continue
		}
		// Halfway through the wait.
		half := th.Decide(s.failures, t0, t0.Add(s.wait/2))
		if half.Allowed || half.RetryAfter != s.wait-s.wait/2 || half.Locked != s.locked {
			t.Errorf("%d failures, halfway: %+v", s.failures, half)
		}
		// Exactly when the wait is over.
		if v := th.Decide(s.failures, t0, t0.Add(s.wait)); v != (Verdict{Allowed: true}) {
			t.Errorf("%d failures, wait over: %+v, want allowed", s.failures, v)
		}
	}
}

func TestThrottleDelayCap(t *testing.T) {
	th := Throttle{MaxFailures: 50, FreeAttempts: -1, BaseDelay: time.Second, MaxDelay: 10 * time.Second}
	want := []time.Duration{0, 1, 2, 4, 8, 10, 10, 10}
	for failures, w := range want {
		if got := th.Delay(failures); got != w*time.Second {
			t.Errorf("Delay(%d) = %v, want %v", failures, got, w*time.Second)
		}
	}
	if got := th.Delay(1 << 40); got != 10*time.Second {
		t.Errorf("Delay(huge) = %v, want the cap", got)
	}
	big := Throttle{MaxFailures: 1000, FreeAttempts: 1, BaseDelay: time.Nanosecond, MaxDelay: time.Duration(1<<63 - 1)}
	if got := big.Delay(500); got <= 0 {
		t.Errorf("Delay overflowed: %v", got)
	}
}

func TestThrottleEdgeCases(t *testing.T) {
	th := DefaultThrottle()
	tests := []struct {
		name        string
		failures    int
		lastFailure time.Time
		now         time.Time
		want        Verdict
	}{
		{"zero last failure fails closed", 5, time.Time{}, t0, Verdict{RetryAfter: 2 * time.Second}},
		{"last failure in the future is capped", 5, t0.Add(time.Hour), t0, Verdict{RetryAfter: 2 * time.Second}},
		{"lock from a future failure is capped", 10, t0.Add(time.Hour), t0, Verdict{RetryAfter: 15 * time.Minute, Locked: true}},
		{"lock over", 10, t0, t0.Add(15 * time.Minute), Verdict{Allowed: true}},
		{"lock one second left", 12, t0, t0.Add(15*time.Minute - time.Second), Verdict{RetryAfter: time.Second, Locked: true}},
		{"negative count", -3, t0, t0, Verdict{Allowed: true}},
	}
	for _, tt := range tests {
		if got := th.Decide(tt.failures, tt.lastFailure, tt.now); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if got := th.WindowStart(t0); !got.Equal(t0.Add(-15 * time.Minute)) {
		t.Errorf("WindowStart = %v", got)
	}
	// The zero Throttle behaves like the default one.
	var zero Throttle
	for f := 0; f <= 12; f++ {
		if zero.Decide(f, t0, t0) != th.Decide(f, t0, t0) {
			t.Errorf("zero Throttle differs from default at %d failures", f)
		}
	}
}

func TestThrottleValidate(t *testing.T) {
	if err := DefaultThrottle().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	tests := []struct {
		name string
		th   Throttle
		want []string
	}{
		{"negative max failures", Throttle{MaxFailures: -1}, []string{"'max_failures'", "'-1'"}},
		{"free attempts not below max", Throttle{MaxFailures: 3, FreeAttempts: 3}, []string{"'free_attempts' must be less than max_failures (3)"}},
		{"cap below base", Throttle{BaseDelay: time.Minute, MaxDelay: time.Second}, []string{"'max_delay'", "'1s'"}},
		{"tiny window and lock", Throttle{Window: time.Millisecond, LockDuration: time.Millisecond}, []string{"'window'", "'lock_duration'"}},
		{"negative base", Throttle{BaseDelay: -time.Second}, []string{"'base_delay' must not be negative"}},
	}
	for _, tt := range tests {
		err := tt.th.Validate()
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not mention %s", tt.name, err, w)
			}
		}
	}
}

// TestThrottleScheduleMatchesDecide: the table the stores apply atomically
// says exactly what Decide says, for every count (beyond the limit too) and
// every elapsed time around each wait.
func TestThrottleScheduleMatchesDecide(t *testing.T) {
	for _, th := range []Throttle{DefaultThrottle(), {MaxFailures: 3, FreeAttempts: -1, LockDuration: time.Hour},
		{MaxFailures: 100, FreeAttempts: 50, BaseDelay: time.Second, MaxDelay: time.Minute}} {
		sch := th.Schedule()
		if len(sch) != th.withDefaults().MaxFailures+1 {
			t.Fatalf("%+v: schedule of %d entries", th, len(sch))
		}
		for n := 0; n <= len(sch)+3; n++ {
			w := sch[min(n, len(sch)-1)]
			for _, elapsed := range []time.Duration{0, w - time.Millisecond, w, w + time.Millisecond, 2 * time.Hour} {
				if elapsed < 0 {
					continue
				}
				want := th.Decide(n, t0, t0.Add(elapsed)).Allowed
				if got := elapsed >= w; got != want {
					t.Fatalf("%+v: %d failures, %s after the last: schedule says %v, Decide %v", th, n, elapsed, got, want)
				}
			}
		}
	}
}
