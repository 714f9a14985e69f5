package policy

import (
	"errors"
	"fmt"
	"time"
)

// Session-limit errors, matched with errors.Is. Both mean "sign in again".
var (
	ErrIdleTimeout      = errors.New("policy: session ended after a period of inactivity")
	ErrAbsoluteLifetime = errors.New("policy: session reached its maximum lifetime")
)

// Default session limits; doc.go and docs/policies.md explain the choice.
const (
	DefaultIdleTimeout      = 60 * time.Minute
	DefaultAbsoluteLifetime = 12 * time.Hour
)

// Bounds Validate enforces.
const (
	minSessionLimit         = time.Minute
	maxSessionLifetimeLimit = 30 * 24 * time.Hour
)

// SessionPolicy limits an SSO session. Zero fields mean the default; a
// session can never be unlimited.
type SessionPolicy struct {
	// IdleTimeout ends a session not seen for this long.
	IdleTimeout time.Duration `json:"idle_timeout" yaml:"idle_timeout"`
	// AbsoluteLifetime ends a session this long after sign-in, however
	// active it is.
	AbsoluteLifetime time.Duration `json:"absolute_lifetime" yaml:"absolute_lifetime"`
}

// DefaultSessionPolicy returns idle 60 minutes, absolute 12 hours.
func DefaultSessionPolicy() SessionPolicy {
	return SessionPolicy{IdleTimeout: DefaultIdleTimeout, AbsoluteLifetime: DefaultAbsoluteLifetime}
}

func (p SessionPolicy) withDefaults() SessionPolicy {
	if p.IdleTimeout <= 0 {
		p.IdleTimeout = DefaultIdleTimeout
	}
	if p.AbsoluteLifetime <= 0 {
		p.AbsoluteLifetime = DefaultAbsoluteLifetime
	}
	return p
}

// Validate reports every problem at once, naming the option and its value.
// Negative values are errors here even though Check treats them as the
// default, so a typo in configuration is not silently ignored.
func (p SessionPolicy) Validate() error {
	var errs []error
	bad := func(option string, value time.Duration, why string) {
		errs = append(errs, fmt.Errorf("session policy: option '%s' %s but it's configured as '%s'", option, why, value))
	}
	if p.IdleTimeout < 0 || (p.IdleTimeout > 0 && p.IdleTimeout < minSessionLimit) {
		bad("idle_timeout", p.IdleTimeout, "must be 0 (default) or at least 1m")
	}
	if p.AbsoluteLifetime < 0 || (p.AbsoluteLifetime > 0 && p.AbsoluteLifetime < minSessionLimit) {
		bad("absolute_lifetime", p.AbsoluteLifetime, "must be 0 (default) or at least 1m")
	}
	if p.AbsoluteLifetime > maxSessionLifetimeLimit {
		bad("absolute_lifetime", p.AbsoluteLifetime, "must be at most 720h (30 days)")
	}
	if d := p.withDefaults(); d.IdleTimeout > d.AbsoluteLifetime {
		bad("idle_timeout", d.IdleTimeout, fmt.Sprintf("must not exceed absolute_lifetime (%s)", d.AbsoluteLifetime))
	}
	return errors.Join(errs...)
}

// Check tells whether a session created at createdAt and last seen at
// lastSeen is still valid at now. The absolute lifetime is checked first, so
// a session past both limits reports ErrAbsoluteLifetime. A session is dead
// at the exact instant a limit is reached. A zero createdAt or lastSeen is
// treated as long ago, so an incomplete record never keeps a session alive.
func (p SessionPolicy) Check(createdAt, lastSeen, now time.Time) error {
	p = p.withDefaults()
	if !now.Before(createdAt.Add(p.AbsoluteLifetime)) {
		return ErrAbsoluteLifetime
	}
	if !now.Before(lastSeen.Add(p.IdleTimeout)) {
		return ErrIdleTimeout
	}
	return nil
}

// ExpiresAt returns the instant the session ends if it is not seen again:
// the earlier of lastSeen+IdleTimeout and createdAt+AbsoluteLifetime. Use it
// for the cookie's Expires and for "signed out at" in the sessions page.
func (p SessionPolicy) ExpiresAt(createdAt, lastSeen time.Time) time.Time {
	p = p.withDefaults()
	idle := lastSeen.Add(p.IdleTimeout)
	absolute := createdAt.Add(p.AbsoluteLifetime)
	if idle.Before(absolute) {
		return idle
	}
	return absolute
}
