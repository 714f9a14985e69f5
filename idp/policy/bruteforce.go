package policy

import (
	"errors"
	"fmt"
	"time"
)

// Throttle is the brute-force rule for one counter (for example failed
// password attempts for one account, or from one client IP). The counting
// itself lives in the database (it must be exact across replicas); Throttle
// only turns "how many failures in the window, and when was the last one"
// into a verdict. Zero fields mean the default.
type Throttle struct {
	// MaxFailures within Window locks the counter. Default 10.
	MaxFailures int `json:"max_failures" yaml:"max_failures"`
	// Window is how far back failures are counted. Default 15 minutes.
	Window time.Duration `json:"window" yaml:"window"`
	// FreeAttempts failures cost nothing (typing mistakes). Default 3.
	// Use a negative value for "no free attempts".
	FreeAttempts int `json:"free_attempts" yaml:"free_attempts"`
	// BaseDelay is the wait after the first failure beyond the free ones;
	// it doubles with every further failure. Default 1 second.
	BaseDelay time.Duration `json:"base_delay" yaml:"base_delay"`
	// MaxDelay caps the doubling. Default 60 seconds.
	MaxDelay time.Duration `json:"max_delay" yaml:"max_delay"`
	// LockDuration is how long the counter stays locked, from the last
	// failure. Default 15 minutes.
	LockDuration time.Duration `json:"lock_duration" yaml:"lock_duration"`
}

// DefaultThrottle returns the defaults explained in docs/policies.md.
func DefaultThrottle() Throttle {
	return Throttle{
		MaxFailures:  10,
		Window:       15 * time.Minute,
		FreeAttempts: 3,
		BaseDelay:    time.Second,
		MaxDelay:     60 * time.Second,
		LockDuration: 15 * time.Minute,
	}
}

func (t Throttle) withDefaults() Throttle {
	d := DefaultThrottle()
	if t.MaxFailures == 0 {
		t.MaxFailures = d.MaxFailures
	}
	if t.Window == 0 {
		t.Window = d.Window
	}
	if t.FreeAttempts == 0 {
		t.FreeAttempts = d.FreeAttempts
	} else if t.FreeAttempts < 0 {
		t.FreeAttempts = 0
	}
	if t.BaseDelay == 0 {
		t.BaseDelay = d.BaseDelay
	}
	if t.MaxDelay == 0 {
		t.MaxDelay = d.MaxDelay
	}
	if t.LockDuration == 0 {
		t.LockDuration = d.LockDuration
	}
	return t
}

// Validate reports every problem at once, naming the option and its value.
func (t Throttle) Validate() error {
	t = t.withDefaults()
	var errs []error
	bad := func(option string, value any, why string) {
		errs = append(errs, fmt.Errorf("throttle: option '%s' %s but it's configured as '%v'", option, why, value))
	}
	if t.MaxFailures < 1 {
		bad("max_failures", t.MaxFailures, "must be 1 or more")
	}
	if t.Window < time.Second {
		bad("window", t.Window, "must be at least 1s")
	}
	if t.FreeAttempts >= t.MaxFailures {
		bad("free_attempts", t.FreeAttempts, fmt.Sprintf("must be less than max_failures (%d)", t.MaxFailures))
	}
	if t.BaseDelay < 0 {
		bad("base_delay", t.BaseDelay, "must not be negative")
	}
	if t.MaxDelay < t.BaseDelay {
		bad("max_delay", t.MaxDelay, fmt.Sprintf("must be at least base_delay (%s)", t.BaseDelay))
	}
	if t.LockDuration < time.Second {
		bad("lock_duration", t.LockDuration, "must be at least 1s")
	}
	return errors.Join(errs...)
}

// Verdict is the throttle's answer for the next attempt.
type Verdict struct {
	// Allowed: the attempt may be evaluated now.
	Allowed bool
	// RetryAfter is how long to wait before the next attempt is allowed
	// (0 when Allowed). Suitable for a Retry-After header or the page.
	RetryAfter time.Duration
	// Locked: too many failures; RetryAfter runs to the end of the lock.
	Locked bool
}

// WindowStart is the earliest failure time that counts at now; the store
// counts failures after it.
func (t Throttle) WindowStart(now time.Time) time.Time {
	return now.Add(-t.withDefaults().Window)
}

// Delay returns the back-off owed after failures failures in the window
// (0 for the free ones), ignoring the lock.
func (t Throttle) Delay(failures int) time.Duration {
	t = t.withDefaults()
	over := failures - t.FreeAttempts
	if over <= 0 || t.BaseDelay <= 0 {
		return 0
	}
	d := t.BaseDelay
	for i := 1; i < over; i++ {
		if d >= t.MaxDelay/2 {
			return t.MaxDelay
		}
		d *= 2
	}
	return min(d, t.MaxDelay)
}

// Decide says whether the next attempt may go ahead, given the number of
// failures counted since WindowStart(now) and the time of the latest one.
//
// The first FreeAttempts failures cost nothing; each further one doubles the
// wait from BaseDelay up to MaxDelay, measured from lastFailure; at
// MaxFailures the counter is locked until lastFailure+LockDuration. A zero
// lastFailure with failures counted is treated as "just now" (fail closed).
// If lastFailure is in the future (clock skew between replicas) the wait is
// never longer than the delay or lock itself.
func (t Throttle) Decide(failuresInWindow int, lastFailure, now time.Time) Verdict {
	t = t.withDefaults()
	if failuresInWindow <= 0 {
		return Verdict{Allowed: true}
	}
	if lastFailure.IsZero() || lastFailure.After(now) {
		lastFailure = now
	}
	if failuresInWindow >= t.MaxFailures {
		if until := lastFailure.Add(t.LockDuration); now.Before(until) {
			return Verdict{RetryAfter: until.Sub(now), Locked: true}
		}
		return Verdict{Allowed: true}
	}
	delay := t.Delay(failuresInWindow)
	if until := lastFailure.Add(delay); now.Before(until) {
		return Verdict{RetryAfter: until.Sub(now)}
	}
	return Verdict{Allowed: true}
}

// Schedule is Decide as a table, for a store that must decide and count in
// one atomic statement: entry n is how long after the last failure the next
// attempt may go ahead while n failures are counted (0 for the free ones),
// and the last entry, at index MaxFailures, is the lock. Decide(n, last,
// now).Allowed equals now >= last + Schedule()[min(n, MaxFailures)] for
// every n >= 0 and last <= now.
func (t Throttle) Schedule() []time.Duration {
	t = t.withDefaults()
	out := make([]time.Duration, t.MaxFailures+1)
	for n := 1; n < t.MaxFailures; n++ {
		out[n] = t.Delay(n)
	}
	out[t.MaxFailures] = t.LockDuration
	return out
}
