package otp

import (
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

const dots = "•••"

// MaskPhone shows enough of a number for the user to recognise it and no
// more: "+4915112345678" becomes "+49 ••• ••• 5678". Numbers with a national
// part of 6 digits or fewer keep only their last 2 digits; input that is not
// E.164 keeps its last 2 digits only ("••• ••• 78"), or is fully masked when
// it has fewer than 4 digits.
func MaskPhone(e164 string) string {
	if num, err := phonenumbers.Parse(e164, ""); err == nil && strings.HasPrefix(strings.TrimSpace(e164), "+") {
		national := strconv.FormatUint(num.GetNationalNumber(), 10)
		keep := 4
		if len(national) <= 6 {
			keep = 2
		}
		return "+" + strconv.Itoa(int(num.GetCountryCode())) + " " + dots + " " + dots + " " + national[len(national)-keep:]
	}
	var digits []byte
	for i := 0; i < len(e164); i++ {
		if c := e164[i]; c >= '0' && c <= '9' {
			digits = append(digits, c)
		}
	}
	if len(digits) < 4 {
		return dots + " " + dots
	}
	return dots + " " + dots + " " + string(digits[len(digits)-2:])
}

// MaskEmail keeps the first and last character of the local part and the
// whole domain (the user knows it, and it tells work from private mail):
// "alice@example.com" becomes "a•••e@example.com"; local parts of one or two
// characters keep only the first. Input without a local part and a domain is
// fully masked.
func MaskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return dots
	}
	local, domain := []rune(addr[:at]), addr[at+1:]
	masked := string(local[0]) + dots
	if len(local) >= 3 {
		masked += string(local[len(local)-1])
	}
	return masked + "@" + domain
}
