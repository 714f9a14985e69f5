package otp

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

var (
	// ErrRateLimited is the parent of every reason CanSend refuses.
	ErrRateLimited = errors.New("otp: sending limited")
	// ErrResendCooldown: the user's last code went out less than
	// Rules.ResendCooldown ago.
	ErrResendCooldown = fmt.Errorf("%w: resend cooldown", ErrRateLimited)
	// ErrUserLimit: the user reached Rules.PerUser.
	ErrUserLimit = fmt.Errorf("%w: per-user limit", ErrRateLimited)
	// ErrDestinationLimit: the phone number or email address reached
	// Rules.PerDestination (whichever users asked).
	ErrDestinationLimit = fmt.Errorf("%w: per-destination limit", ErrRateLimited)
)

// Limit allows at most Max sends in any sliding Window.
type Limit struct {
	Max    int           `yaml:"max" json:"max"`
	Window time.Duration `yaml:"window" json:"window"`
}

// Rules is the policy for emailed and texted codes. Use DefaultRules and
// override fields; call Validate on anything read from configuration.
type Rules struct {
	// TTL is how long a code can be used after it was issued.
	TTL time.Duration `yaml:"ttl" json:"ttl"`
	// MaxAttempts is how many wrong guesses a challenge survives; the
	// attempt that reaches it is refused.
	MaxAttempts int `yaml:"max_attempts" json:"max_attempts"`
	// ResendCooldown is the minimum gap between two sends to the same user.
	ResendCooldown time.Duration `yaml:"resend_cooldown" json:"resend_cooldown"`
	// PerUser caps sends to one user, across destinations.
	PerUser Limit `yaml:"per_user" json:"per_user"`
	// PerDestination caps sends to one phone number or email address, across
	// users, so Gatehouse cannot be used to flood someone's phone.
	PerDestination Limit `yaml:"per_destination" json:"per_destination"`
}

// DefaultRules: 10 min TTL, 5 attempts, 60 s between sends, 5 sends per user
// per hour, 10 sends per destination per day.
func DefaultRules() Rules {
	return Rules{
		TTL:            10 * time.Minute,
		MaxAttempts:    5,
		ResendCooldown: 60 * time.Second,
		PerUser:        Limit{Max: 5, Window: time.Hour},
		PerDestination: Limit{Max: 10, Window: 24 * time.Hour},
	}
}

// Validate reports every out-of-range value at once, naming the option.
func (r Rules) Validate() error {
	var errs []error
	if r.TTL < 30*time.Second || r.TTL > time.Hour {
		errs = append(errs, fmt.Errorf("otp: option 'ttl' must be between 30s and 1h but it's configured as '%s'", r.TTL))
	}
	if r.MaxAttempts < 1 || r.MaxAttempts > 20 {
		errs = append(errs, fmt.Errorf("otp: option 'max_attempts' must be between 1 and 20 but it's configured as '%d'", r.MaxAttempts))
	}
	if r.ResendCooldown < 0 {
		errs = append(errs, fmt.Errorf("otp: option 'resend_cooldown' must not be negative but it's configured as '%s'", r.ResendCooldown))
	}
	for _, l := range []struct {
		name string
		Limit
	}{{"per_user", r.PerUser}, {"per_destination", r.PerDestination}} {
		if l.Max < 1 {
			errs = append(errs, fmt.Errorf("otp: option '%s.max' must be 1 or more but it's configured as '%d'", l.name, l.Max))
		}
		if l.Window <= 0 {
			errs = append(errs, fmt.Errorf("otp: option '%s.window' must be positive but it's configured as '%s'", l.name, l.Window))
		}
	}
	return errors.Join(errs...)
}

// ExpiresAt is when a code issued at issuedAt stops working.
func (r Rules) ExpiresAt(issuedAt time.Time) time.Time { return issuedAt.Add(r.TTL) }

// CanSend decides whether another code may be sent now. userSends are the
// times codes were sent to this user and destinationSends the times codes
// were sent to this destination (any user); order does not matter and times
// older than the longest window may be left out. When refused, retryAfter is
// how long until every limit allows a send, and reason is the limit that
// lasts longest (ErrResendCooldown, ErrUserLimit or ErrDestinationLimit, all
// matching ErrRateLimited).
func (r Rules) CanSend(userSends, destinationSends []time.Time, now time.Time) (ok bool, retryAfter time.Duration, reason error) {
	consider := func(wait time.Duration, why error) {
		if wait > retryAfter {
			retryAfter, reason = wait, why
		}
	}
	if last, found := latest(userSends); found && r.ResendCooldown > 0 {
		consider(last.Add(r.ResendCooldown).Sub(now), ErrResendCooldown)
	}
	consider(r.PerUser.wait(userSends, now), ErrUserLimit)
	consider(r.PerDestination.wait(destinationSends, now), ErrDestinationLimit)
	if reason != nil {
		return false, retryAfter, reason
	}
	return true, 0, nil
}

func latest(ts []time.Time) (time.Time, bool) {
	if len(ts) == 0 {
		return time.Time{}, false
	}
	l := ts[0]
	for _, t := range ts[1:] {
		if t.After(l) {
			l = t
		}
	}
	return l, true
}

// wait returns how long until one more send fits in the limit (0 if now).
// Sends stamped in the future (clock skew between replicas) count as recent.
func (l Limit) wait(sends []time.Time, now time.Time) time.Duration {
	if l.Max < 1 || l.Window <= 0 {
		return 0 // an invalid limit is Validate's business, not a lockout
	}
	start := now.Add(-l.Window)
	var in []time.Time
	for _, t := range sends {
		if t.After(start) {
			in = append(in, t)
		}
	}
	if len(in) < l.Max {
		return 0
	}
	slices.SortFunc(in, func(a, b time.Time) int { return a.Compare(b) })
	// The oldest len(in)-Max+1 sends must leave the window.
	return in[len(in)-l.Max].Add(l.Window).Sub(now)
}

// CheckAttempt decides whether a challenge issued at issuedAt that already
// had attemptsSoFar checks may be checked once more now. It returns
// ErrTooManyAttempts, ErrExpired or nil.
func (r Rules) CheckAttempt(attemptsSoFar int, issuedAt, now time.Time) error {
	if attemptsSoFar >= r.MaxAttempts {
		return ErrTooManyAttempts
	}
	if !now.Before(r.ExpiresAt(issuedAt)) {
		return ErrExpired
	}
	return nil
}

// Verify checks what the user typed against the stored hash of a challenge:
// ErrMalformed, then CheckAttempt's ErrTooManyAttempts / ErrExpired, then a
// constant-time comparison (ErrInvalidCode). attemptsSoFar is the count
// before this attempt; see the package documentation for the order of the
// atomic store updates around it.
func (r Rules) Verify(key, storedHash []byte, input string, attemptsSoFar int, issuedAt, now time.Time) error {
	code, err := NormalizeCode(input)
	if err != nil {
		return err
	}
	if err := r.CheckAttempt(attemptsSoFar, issuedAt, now); err != nil {
		return err
	}
	if !Equal(Hash(key, code), storedHash) {
		return ErrInvalidCode
	}
	return nil
}
