package policy

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Level is how hard to guess a password must be.
type Level string

// Strength levels, weakest first. All of them also enforce the length limits,
// the common-password blocklist and the user-information rule.
const (
	// LevelLengthOnly checks length, the blocklist and user information only
	// (the NIST SP 800-63B baseline).
	LevelLengthOnly Level = "length-only"
	// LevelFair also requires a zxcvbn score of at least 2.
	LevelFair Level = "fair"
	// LevelGood also requires a zxcvbn score of at least 3 (the default).
	LevelGood Level = "good"
	// LevelStrong also requires a zxcvbn score of 4.
	LevelStrong Level = "strong"
)

// Limits that no configuration can move past.
const (
	// FloorMinLength is the smallest MinLength Validate accepts (NIST SP 800-63B).
	FloorMinLength = 8
	// CeilingMaxLength is the largest MaxLength Validate accepts; Check never
	// accepts more characters than this whatever the policy says.
	CeilingMaxLength = 1024
	// CeilingHistoryCount bounds HistoryCount: each entry costs one password
	// hash verification when a password is changed.
	CeilingHistoryCount = 24
)

// ParseLevel parses a configured strength level.
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := l.requiredScore(); !ok {
		return "", fmt.Errorf("policy: password strength %q is not one of %s, %s, %s, %s",
			s, LevelLengthOnly, LevelFair, LevelGood, LevelStrong)
	}
	return l, nil
}

// requiredScore is the minimum zxcvbn score, -1 when the level does not score.
func (l Level) requiredScore() (int, bool) {
	switch l {
	case LevelLengthOnly:
		return -1, true
	case LevelFair:
		return 2, true
	case LevelGood:
		return 3, true
	case LevelStrong:
		return 4, true
	}
	return 0, false
}

// PasswordPolicy is a tenant's password rules. Use DefaultPasswordPolicy as
// the starting point. In a zero or partly filled value, an empty Strength and
// a zero MinLength or MaxLength mean the default; zero ages and history mean
// "off".
type PasswordPolicy struct {
	Strength     Level `json:"strength" yaml:"strength"`
	MinLength    int   `json:"min_length" yaml:"min_length"`       // characters after NFKC; default 12
	MaxLength    int   `json:"max_length" yaml:"max_length"`       // default 128, at most 1024; never truncated
	MinAgeDays   int   `json:"min_age_days" yaml:"min_age_days"`   // 0 = may change at any time
	MaxAgeDays   int   `json:"max_age_days" yaml:"max_age_days"`   // 0 = never expires
	HistoryCount int   `json:"history_count" yaml:"history_count"` // previous passwords that may not be reused; 0 = off
}

// DefaultPasswordPolicy returns the defaults explained in docs/policies.md.
func DefaultPasswordPolicy() PasswordPolicy {
	return PasswordPolicy{
		Strength:     LevelGood,
		MinLength:    12,
		MaxLength:    128,
		MinAgeDays:   0,
		MaxAgeDays:   0,
		HistoryCount: 5,
	}
}

func (p PasswordPolicy) withDefaults() PasswordPolicy {
	d := DefaultPasswordPolicy()
	if p.Strength == "" {
		p.Strength = d.Strength
	}
	if p.MinLength == 0 {
		p.MinLength = d.MinLength
	}
	if p.MaxLength == 0 {
		p.MaxLength = d.MaxLength
	}
	return p
}

// Validate reports every problem with the policy at once, each naming the
// option and its value.
func (p PasswordPolicy) Validate() error {
	p = p.withDefaults()
	var errs []error
	bad := func(option string, value any, why string) {
		errs = append(errs, fmt.Errorf("password policy: option '%s' %s but it's configured as '%v'", option, why, value))
	}
	if _, ok := p.Strength.requiredScore(); !ok {
		bad("strength", p.Strength, "must be one of length-only, fair, good, strong")
	}
	if p.MinLength < FloorMinLength {
		bad("min_length", p.MinLength, fmt.Sprintf("must be %d or more", FloorMinLength))
	}
	if p.MaxLength > CeilingMaxLength {
		bad("max_length", p.MaxLength, fmt.Sprintf("must be %d or less", CeilingMaxLength))
	}
	if p.MaxLength < p.MinLength {
		bad("max_length", p.MaxLength, fmt.Sprintf("must be at least min_length (%d)", p.MinLength))
	}
	if p.MinAgeDays < 0 {
		bad("min_age_days", p.MinAgeDays, "must be 0 or more")
	}
	if p.MaxAgeDays < 0 {
		bad("max_age_days", p.MaxAgeDays, "must be 0 (never expires) or more")
	}
	if p.MaxAgeDays > 0 && p.MinAgeDays >= p.MaxAgeDays {
		bad("min_age_days", p.MinAgeDays, fmt.Sprintf("must be less than max_age_days (%d)", p.MaxAgeDays))
	}
	if p.HistoryCount < 0 || p.HistoryCount > CeilingHistoryCount {
		bad("history_count", p.HistoryCount, fmt.Sprintf("must be between 0 and %d", CeilingHistoryCount))
	}
	return errors.Join(errs...)
}

// NormalizePassword returns the NFKC form of password. Call it before
// hashing and before comparing, so that the same visible password typed on
// different keyboards (composed or decomposed accents, full-width forms)
// always gives the same hash. It never truncates.
func NormalizePassword(password string) string {
	return norm.NFKC.String(password)
}

// Check tells whether password may be set. userInputs are words an attacker
// could guess from the account: email address, display name, tenant name.
// Checks run in this order and the first failure is returned: valid text,
// length (in characters after NFKC), blocklist, user information, strength.
// Rejections match ErrPasswordRejected; see password_errors.go for the types.
func (p PasswordPolicy) Check(password string, userInputs []string) error {
	p = p.withDefaults()
	required, ok := p.Strength.requiredScore()
	if !ok {
		return fmt.Errorf("policy: unknown password strength level %q", p.Strength)
	}
	if !utf8.ValidString(password) || strings.ContainsFunc(password, unicode.IsControl) {
		return ErrInvalidCharacter
	}
	normalized := NormalizePassword(password)
	length := utf8.RuneCountInString(normalized)
	if length < p.MinLength {
		return &ErrTooShort{Min: p.MinLength}
	}
	if maxLen := min(p.MaxLength, CeilingMaxLength); length > maxLen {
		return &ErrTooLong{Max: maxLen}
	}
	bl, err := loadBlocklist()
	if err != nil {
		return err
	}
	folded := strings.ToLower(normalized)
	if bl.contains(folded) {
		return ErrCommon
	}
	tokens := userTokens(userInputs)
	if residualLength(folded, tokens) < p.MinLength {
		return &ErrContainsUserInfo{Min: p.MinLength}
	}
	if required < 0 {
		return nil
	}
	score, feedback := strength(normalized, tokens)
	if score < required {
		return &ErrTooWeak{Score: score, Required: required, Feedback: feedback}
	}
	return nil
}

// days converts a day count to a duration.
func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// CanChange tells whether a user whose password was last changed at
// lastChanged may change it at now. It returns *ErrMinAge while the minimum
// age has not passed. A zero lastChanged (never set) always may. Forced
// changes (expired password, admin reset, compromise) should not call it.
func (p PasswordPolicy) CanChange(lastChanged, now time.Time) error {
	if p.MinAgeDays <= 0 || lastChanged.IsZero() {
		return nil
	}
	allowed := lastChanged.Add(days(p.MinAgeDays))
	if now.Before(allowed) {
		return &ErrMinAge{AllowedAt: allowed}
	}
	return nil
}

// Expired tells whether the password must be changed before signing in
// completes. With MaxAgeDays 0 passwords never expire. A zero lastChanged
// under a maximum age counts as expired (unknown age fails closed).
func (p PasswordPolicy) Expired(lastChanged, now time.Time) bool {
	if p.MaxAgeDays <= 0 {
		return false
	}
	if lastChanged.IsZero() {
		return true
	}
	return !now.Before(lastChanged.Add(days(p.MaxAgeDays)))
}

// ExpiresAt returns when the password expires, and false if it never does.
func (p PasswordPolicy) ExpiresAt(lastChanged time.Time) (time.Time, bool) {
	if p.MaxAgeDays <= 0 {
		return time.Time{}, false
	}
	return lastChanged.Add(days(p.MaxAgeDays)), true
}

// ReusesHistory tells whether password matches one of the HistoryCount most
// recent password hashes. history must be newest first and should start
// with the current password's hash. verify is the hashing package's
// comparison (constant-time, as argon2id verification is); it receives the
// NFKC-normalised password, the same form that was hashed, and must not be
// nil. With HistoryCount 0 nothing is checked.
func (p PasswordPolicy) ReusesHistory(password string, history [][]byte, verify func(hash []byte, password string) bool) bool {
	n := min(p.HistoryCount, len(history), CeilingHistoryCount)
	if n <= 0 {
		return false
	}
	normalized := NormalizePassword(password)
	for _, h := range history[:n] {
		if verify(h, normalized) {
			return true
		}
	}
	return false
}
