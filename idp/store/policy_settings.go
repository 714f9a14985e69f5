package store

import "time"

// PolicySettings are the access-policy part of TenantSettings,
// embedded there so they sit in the same JSON document. Zero values mean
// the default; docs/policies.md explains each default.
type PolicySettings struct {
	// IPAllowlistSignin restricts the sign-in and management pages (login,
	// password reset, account pages) to these addresses; empty = anywhere.
	IPAllowlistSignin []IPAllowEntry `json:"ip_allowlist_signin,omitempty"`
	// IPAllowlistAPI restricts the machine endpoints (token endpoint for
	// client_credentials, introspection); empty = anywhere.
	IPAllowlistAPI []IPAllowEntry `json:"ip_allowlist_api,omitempty"`

	// PasswordStrength is length-only, fair, good (default) or strong.
	PasswordStrength string `json:"password_strength,omitempty"`
	// PasswordMinLength in characters after NFKC; default 12.
	PasswordMinLength int `json:"password_min_length,omitempty"`
	// PasswordMinAgeDays: a password cannot be changed again sooner (0 = any time).
	PasswordMinAgeDays int `json:"password_min_age_days,omitempty"`
	// PasswordMaxAgeDays: older passwords must be changed at the next sign-in (0 = never).
	PasswordMaxAgeDays int `json:"password_max_age_days,omitempty"`
	// PasswordHistory is how many previous passwords cannot be reused; nil
	// means the default (5), 0 turns the rule off.
	PasswordHistory *int `json:"password_history,omitempty"`
	// PasswordResetWithoutSecondFactor lets a user who has a second factor
	// reset the password by email link alone. Default false: the factor is
	// asked too.
	PasswordResetWithoutSecondFactor bool `json:"password_reset_without_second_factor,omitempty"`

	// LoginMaxFailures failed sign-ins lock an account (or a client address,
	// at ten times the number) for LoginLockMinutes; default 10.
	LoginMaxFailures int `json:"login_max_failures,omitempty"`
	// LoginWindowMinutes: a counter restarts after this long without
	// failures; default 15.
	LoginWindowMinutes int `json:"login_window_minutes,omitempty"`
	// LoginLockMinutes: how long a lock lasts after the last failure; default 15.
	LoginLockMinutes int `json:"login_lock_minutes,omitempty"`
}

// IPAllowEntry is one allowlist line: an address or CIDR and whose it is.
type IPAllowEntry struct {
	CIDR string `json:"cidr"`
	Note string `json:"note"`
}

// Defaults of the policy settings.
const (
	DefaultPasswordHistory    = 5
	DefaultLoginMaxFailures   = 10
	DefaultLoginWindowMinutes = 15
	DefaultLoginLockMinutes   = 15
)

// PasswordHistoryCount resolves PasswordHistory.
func (s PolicySettings) PasswordHistoryCount() int {
	if s.PasswordHistory == nil {
		return DefaultPasswordHistory
	}
	return max(*s.PasswordHistory, 0)
}

// LoginWindow is how long a failure counter lives without new failures.
func (s PolicySettings) LoginWindow() time.Duration {
	return time.Duration(orDefault(s.LoginWindowMinutes, DefaultLoginWindowMinutes)) * time.Minute
}

// LoginLock is how long a lock lasts after the last failure.
func (s PolicySettings) LoginLock() time.Duration {
	return time.Duration(orDefault(s.LoginLockMinutes, DefaultLoginLockMinutes)) * time.Minute
}

// LoginCounterQuiet is how long a failure counter must see no failure to
// start again: the window, or the lock when that is longer (so a lock is
// never cut short by a counter that restarted under it).
func (s PolicySettings) LoginCounterQuiet() time.Duration {
	return max(s.LoginWindow(), s.LoginLock())
}

// LoginFailureLimit is the number of failures that locks an account.
func (s PolicySettings) LoginFailureLimit() int {
	return orDefault(s.LoginMaxFailures, DefaultLoginMaxFailures)
}
