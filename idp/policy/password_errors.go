package policy

import (
	"errors"
	"fmt"
	"time"
)

// ErrPasswordRejected matches (errors.Is) every error that means "this
// password does not meet the policy". Its Error() text, and that of every
// rejection below, is written for the person choosing the password and may be
// shown on the page as is. Any other error from Check is an internal failure
// (for example a damaged embedded blocklist) and should become a generic
// "something went wrong" page.
//
// No rejection message ever contains the password.
var ErrPasswordRejected = errors.New("the password does not meet the password policy")

// rejection is the type of the sentinel rejections below.
type rejection struct{ msg string }

func (e *rejection) Error() string        { return e.msg }
func (e *rejection) Is(target error) bool { return target == ErrPasswordRejected }

// Sentinel rejections, matched with errors.Is.
var (
	// ErrCommon: the password is on the embedded list of common passwords.
	ErrCommon error = &rejection{"This password is on a list of commonly used passwords, so attackers try it first. Please choose another one."}
	// ErrInvalidCharacter: the password is not valid text or contains control characters.
	ErrInvalidCharacter error = &rejection{"Your password contains characters that cannot be used, such as control characters. Please use letters, digits, spaces and symbols."}
	// ErrReused: returned by handlers when ReusesHistory reports a match.
	ErrReused error = &rejection{"You have used this password recently. Please choose one you have not used before."}
)

// ErrTooShort: fewer characters than the policy's minimum, counted after
// normalisation.
type ErrTooShort struct{ Min int }

func (e *ErrTooShort) Error() string {
	return fmt.Sprintf("Use at least %d characters. A few unrelated words make a long password that is still easy to remember.", e.Min)
}
func (e *ErrTooShort) Is(target error) bool { return target == ErrPasswordRejected }

// ErrTooLong: more characters than the policy's maximum. Passwords are never
// truncated, so a longer one is refused rather than silently shortened.
type ErrTooLong struct{ Max int }

func (e *ErrTooLong) Error() string {
	return fmt.Sprintf("Use at most %d characters.", e.Max)
}
func (e *ErrTooLong) Is(target error) bool { return target == ErrPasswordRejected }

// ErrContainsUserInfo: once the user's own name, email address and tenant
// name are taken out, what remains of the password is shorter than the
// minimum length.
type ErrContainsUserInfo struct{ Min int }

func (e *ErrContainsUserInfo) Error() string {
	return fmt.Sprintf("Your password is built mostly from your name, email address or organisation name, which others can easily find. Without them it must still have at least %d characters.", e.Min)
}
func (e *ErrContainsUserInfo) Is(target error) bool { return target == ErrPasswordRejected }

// ErrTooWeak: the zxcvbn score is below the level's requirement. Feedback is a
// short hint derived from the weakest pattern found (may be empty).
type ErrTooWeak struct {
	Score    int
	Required int
	Feedback string
}

func (e *ErrTooWeak) Error() string {
	msg := "This password would be too easy to guess."
	if e.Feedback != "" {
		msg += " " + e.Feedback
	}
	return msg + " Add another word or two; uncommon words are better."
}
func (e *ErrTooWeak) Is(target error) bool { return target == ErrPasswordRejected }

// ErrMinAge: the password was changed too recently to be changed again.
// AllowedAt is when a change becomes possible; pages should format it in the
// user's time zone, Error() uses UTC.
type ErrMinAge struct{ AllowedAt time.Time }

func (e *ErrMinAge) Error() string {
	return "You changed your password recently. You can change it again after " +
		e.AllowedAt.UTC().Format("2 January 2006 15:04 MST") + "."
}
func (e *ErrMinAge) Is(target error) bool { return target == ErrPasswordRejected }
