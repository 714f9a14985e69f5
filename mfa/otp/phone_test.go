package otp

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name, in, region, want string
		err                    error
	}{
		{"DE mobile E.164", "+4915112345678", "", "+4915112345678", nil},
		{"DE mobile national", "0151 1234 5678", "DE", "+4915112345678", nil},
		{"DE mobile lower-case region", "0151/12345678", "de", "+4915112345678", nil},
		{"international prefix wins over region", "+49 151 12345678", "US", "+4915112345678", nil},
		{"00 prefix from DE", "0049 151 12345678", "DE", "+4915112345678", nil},
		{"GB mobile", "07400 123456", "GB", "+447400123456", nil},
		{"FR mobile", "+33 6 12 34 56 78", "", "+33612345678", nil},
		{"US fixed-or-mobile", "(650) 253-0000", "US", "+16502530000", nil},
		{"US with +1", "+1 650-253-0000", "", "+16502530000", nil},
		{"surrounding space", "  +4915112345678 ", "", "+4915112345678", nil},

		{"DE fixed line", "+49 30 12345678", "", "", ErrNotMobile},
		{"DE toll free", "0800 1234567", "DE", "", ErrNotMobile},
		{"DE premium", "+49 900 1234567", "", "", ErrNotMobile},
		{"DE shared cost", "+49 1801 234567", "", "", ErrNotMobile},
		{"GB toll free", "0800 123 4567", "GB", "", ErrNotMobile},
		{"GB VoIP", "+44 56 1234 5678", "", "", ErrNotMobile},
		{"GB personal number", "+44 70 1234 5678", "", "", ErrNotMobile},
		{"FR VoIP", "+33 9 12 34 56 78", "", "", ErrNotMobile},
		{"US toll free", "+1 800 253 0000", "", "", ErrNotMobile},

		{"empty", "", "DE", "", ErrInvalidPhone},
		{"letters", "call me", "DE", "", ErrInvalidPhone},
		{"too short", "+49 151", "", "", ErrInvalidPhone},
		{"mobile prefix, wrong length", "+49 151 1234567", "", "", ErrInvalidPhone},
		{"unassigned range", "+49 32 12345678", "", "", ErrInvalidPhone},
		{"national without region", "015112345678", "", "", ErrInvalidPhone},
		{"unknown region", "015112345678", "XX", "", ErrInvalidPhone},
		{"bad country code", "+999 1234567", "", "", ErrInvalidPhone},
		{"extension", "+4915112345678 ext. 5", "", "", ErrInvalidPhone},
		{"very long", "+49" + strings.Repeat("1", 100), "", "", ErrInvalidPhone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePhone(tt.in, tt.region)
			if tt.err == nil {
				if err != nil || got != tt.want {
					t.Fatalf("NormalizePhone(%q, %q) = %q, %v; want %q", tt.in, tt.region, got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.err) || got != "" {
				t.Fatalf("NormalizePhone(%q, %q) = %q, %v; want error %v", tt.in, tt.region, got, err, tt.err)
			}
			if !errors.Is(err, ErrInvalidPhone) {
				t.Fatalf("%v does not match ErrInvalidPhone", err)
			}
			if tt.err == ErrInvalidPhone && errors.Is(err, ErrNotMobile) {
				t.Fatalf("invalid number reported as not mobile: %v", err)
			}
			if len(tt.in) > 8 && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
				t.Fatalf("error %q repeats the number", err)
			}
		})
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+4915112345678", "+49 ••• ••• 5678"},
		{"+16502530000", "+1 ••• ••• 0000"},
		{"+447400123456", "+44 ••• ••• 3456"},
		{"+68250123", "+682 ••• ••• 23"}, // Cook Islands: 5-digit national number
		{"015112345678", "••• ••• 78"},   // not E.164
		{"12", "••• •••"},
		{"", "••• •••"},
	}
	for _, tt := range tests {
		if got := MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.com", "a•••e@example.com"},
		{"bob@example.org", "b•••b@example.org"},
		{"jo@example.org", "j•••@example.org"},
		{"x@example.org", "x•••@example.org"},
		{"jürgen.müller@beispiel.de", "j•••r@beispiel.de"},
		{"ünal@örnek.com.tr", "ü•••l@örnek.com.tr"},
		{"\"a@b\"@example.com", "\"•••\"@example.com"},
		{"no-at-sign", "•••"},
		{"@example.com", "•••"},
		{"alice@", "•••"},
		{"", "•••"},
	}
	for _, tt := range tests {
		if got := MaskEmail(tt.in); got != tt.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
