package otp

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

var (
	// ErrInvalidPhone reports input that is not a valid, SMS-capable phone number.
	ErrInvalidPhone = errors.New("otp: invalid phone number")
	// ErrNotMobile reports a valid number that cannot receive SMS as far as
	// the numbering plan tells (fixed line, toll free, VoIP...). It matches
	// ErrInvalidPhone too.
	ErrNotMobile = fmt.Errorf("%w: not a mobile number", ErrInvalidPhone)
)

// maxPhoneInput bounds the input before it reaches the parser.
const maxPhoneInput = 64

// NormalizePhone parses a number as typed ("0151 1234 5678", "+1 (650)
// 253-0000") and returns it in E.164 ("+4915112345678"). defaultRegion is the
// ISO 3166 region (e.g. "DE") used when the input has no +country prefix; it
// may be empty when the input always carries one.
//
// Accepted: numbers the numbering plan calls MOBILE, or FIXED_LINE_OR_MOBILE
// where the plan cannot tell (USA, Canada...). Refused with ErrNotMobile:
// fixed line, toll free, premium rate, shared cost, UAN, voicemail, pager,
// personal numbers (may forward to a landline) and VoIP (NIST SP 800-63B
// §5.1.3.3 advises against them for out-of-band codes). Numbers with an
// extension are refused too.
func NormalizePhone(input, defaultRegion string) (string, error) {
	input = strings.TrimSpace(input)
	if input == "" || len(input) > maxPhoneInput {
		return "", fmt.Errorf("%w: empty or too long", ErrInvalidPhone)
	}
	num, err := phonenumbers.Parse(input, strings.ToUpper(strings.TrimSpace(defaultRegion)))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidPhone, err)
	}
	if num.GetExtension() != "" {
		return "", fmt.Errorf("%w: extensions cannot receive SMS", ErrInvalidPhone)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", fmt.Errorf("%w: not a valid number for region %q", ErrInvalidPhone, phonenumbers.GetRegionCodeForNumber(num))
	}
	switch t := phonenumbers.GetNumberType(num); t {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return phonenumbers.Format(num, phonenumbers.E164), nil
	default:
		return "", fmt.Errorf("%w (%s)", ErrNotMobile, numberTypeName(t))
	}
}

func numberTypeName(t phonenumbers.PhoneNumberType) string {
	switch t {
	case phonenumbers.FIXED_LINE:
		return "fixed line"
	case phonenumbers.TOLL_FREE:
		return "toll free"
	case phonenumbers.PREMIUM_RATE:
		return "premium rate"
	case phonenumbers.SHARED_COST:
		return "shared cost"
	case phonenumbers.VOIP:
		return "voip"
	case phonenumbers.PERSONAL_NUMBER:
		return "personal number"
	case phonenumbers.PAGER:
		return "pager"
	case phonenumbers.UAN:
		return "uan"
	case phonenumbers.VOICEMAIL:
		return "voicemail"
	default:
		return "unknown type"
	}
}
