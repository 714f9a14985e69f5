package policy

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// The full matrix: every mode x device known/new x location known/new x
// remembered or not, written out row by row.
func TestRequireSecondFactorMatrix(t *testing.T) {
	type row struct {
		mode                         MFAMode
		device, location, remembered bool // known device, known location, remembered device
		required                     bool
		reason                       string
	}
	const K, N, R, F = true, false, true, false // known/new, remembered/fresh
	rows := []row{
		{MFANever, N, N, F, false, ReasonModeNever},
		{MFANever, N, K, F, false, ReasonModeNever},
		{MFANever, K, N, F, false, ReasonModeNever},
		{MFANever, K, K, F, false, ReasonModeNever},
		{MFANever, N, N, R, false, ReasonModeNever},
		{MFANever, N, K, R, false, ReasonModeNever},
		{MFANever, K, N, R, false, ReasonModeNever},
		{MFANever, K, K, R, false, ReasonModeNever},

		{MFAAlways, N, N, F, true, ReasonModeAlways},
		{MFAAlways, N, K, F, true, ReasonModeAlways},
		{MFAAlways, K, N, F, true, ReasonModeAlways},
		{MFAAlways, K, K, F, true, ReasonModeAlways},
		{MFAAlways, N, N, R, false, ReasonDeviceRemembered},
		{MFAAlways, N, K, R, false, ReasonDeviceRemembered},
		{MFAAlways, K, N, R, false, ReasonDeviceRemembered},
		{MFAAlways, K, K, R, false, ReasonDeviceRemembered},

		{MFANewDevice, N, N, F, true, ReasonNewDevice},
		{MFANewDevice, N, K, F, true, ReasonNewDevice},
		{MFANewDevice, K, N, F, false, ReasonKnownDevice},
		{MFANewDevice, K, K, F, false, ReasonKnownDevice},
		{MFANewDevice, N, N, R, false, ReasonDeviceRemembered},
		{MFANewDevice, N, K, R, false, ReasonDeviceRemembered},
		{MFANewDevice, K, N, R, false, ReasonDeviceRemembered},
		{MFANewDevice, K, K, R, false, ReasonDeviceRemembered},

		{MFANewLocation, N, N, F, true, ReasonNewLocation},
		{MFANewLocation, N, K, F, false, ReasonKnownLocation},
		{MFANewLocation, K, N, F, true, ReasonNewLocation},
		{MFANewLocation, K, K, F, false, ReasonKnownLocation},
		{MFANewLocation, N, N, R, false, ReasonDeviceRemembered},
		{MFANewLocation, N, K, R, false, ReasonDeviceRemembered},
		{MFANewLocation, K, N, R, false, ReasonDeviceRemembered},
		{MFANewLocation, K, K, R, false, ReasonDeviceRemembered},
	}
	for _, r := range rows {
		name := fmt.Sprintf("%s/device_known=%v/location_known=%v/remembered=%v", r.mode, r.device, r.location, r.remembered)
		s := Signals{DeviceKnown: r.device, LocationKnown: r.location, DeviceRemembered: r.remembered}

		got, reason := RequireSecondFactor(r.mode, s)
		if got != r.required || reason != r.reason {
			t.Errorf("%s: (%v, %s), want (%v, %s)", name, got, reason, r.required, r.reason)
		}

		// A client's step-up demand always requires it, remembered device or not.
		s.ACRRequested = true
		if got, reason := RequireSecondFactor(r.mode, s); !got || reason != ReasonACRRequested {
			t.Errorf("%s + acr: (%v, %s), want (true, %s)", name, got, reason, ReasonACRRequested)
		}

		// A trusted upstream MFA assertion satisfies it, even a demanded one.
		s.UpstreamMFA = true
		if got, reason := RequireSecondFactor(r.mode, s); got || reason != ReasonUpstreamMFA {
			t.Errorf("%s + acr + upstream: (%v, %s), want (false, %s)", name, got, reason, ReasonUpstreamMFA)
		}
		s.ACRRequested = false
		if got, reason := RequireSecondFactor(r.mode, s); got || reason != ReasonUpstreamMFA {
			t.Errorf("%s + upstream: (%v, %s), want (false, %s)", name, got, reason, ReasonUpstreamMFA)
		}
	}
}

func TestRequireSecondFactorUnknownModeFailsClosed(t *testing.T) {
	for _, mode := range []MFAMode{"", "sometimes", "NEVER"} {
		for _, remembered := range []bool{false, true} {
			got, reason := RequireSecondFactor(mode, Signals{DeviceKnown: true, LocationKnown: true, DeviceRemembered: remembered})
			if !got || reason != ReasonUnknownMode {
				t.Errorf("mode %q remembered=%v: (%v, %s), want (true, %s)", mode, remembered, got, reason, ReasonUnknownMode)
			}
		}
	}
}

func TestParseMFAMode(t *testing.T) {
	for in, want := range map[string]MFAMode{"never": MFANever, "ALWAYS": MFAAlways, " new-device ": MFANewDevice, "new-location": MFANewLocation} {
		if got, err := ParseMFAMode(in); err != nil || got != want {
			t.Errorf("ParseMFAMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "new_device", "sometimes"} {
		_, err := ParseMFAMode(in)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
			t.Errorf("ParseMFAMode(%q) err = %v, want one naming the value", in, err)
		}
	}
}

func TestParseMethods(t *testing.T) {
	tests := []struct {
		in   string
		want []Method
	}{
		{"totp,sms,email,webauthn", []Method{MethodTOTP, MethodSMS, MethodEmail, MethodWebAuthn}},
		{" WebAuthn , totp ", []Method{MethodWebAuthn, MethodTOTP}},
		{"totp,,totp,", []Method{MethodTOTP}},
		{"", nil},
		{" , ", nil},
	}
	for _, tt := range tests {
		got, err := ParseMethods(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseMethods(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}

	_, err := ParseMethods("totp, Push ,password,sms,yubikey")
	if !errors.Is(err, ErrUnknownMethod) {
		t.Fatalf("err = %v, want ErrUnknownMethod", err)
	}
	for _, bad := range []string{`"Push"`, `"password"`, `"yubikey"`} {
		if !strings.Contains(err.Error(), bad) {
			t.Errorf("%q does not name %s", err, bad)
		}
	}
	if strings.Contains(err.Error(), `"totp"`) || strings.Contains(err.Error(), `"sms"`) {
		t.Errorf("error blames valid methods: %v", err)
	}
	if got := len(err.(interface{ Unwrap() []error }).Unwrap()); got != 3 {
		t.Errorf("%d problems reported, want 3", got)
	}

	for _, m := range DefaultMFAMethods() {
		if !isSecondFactor(m) {
			t.Errorf("default method %q cannot be enabled", m)
		}
	}
	if _, err := ParseMFAMode(string(DefaultMFAMode)); err != nil {
		t.Errorf("DefaultMFAMode: %v", err)
	}

	all := SecondFactorMethods()
	all[0] = "changed"
	if SecondFactorMethods()[0] != MethodTOTP {
		t.Error("SecondFactorMethods exposed its backing array")
	}
}
