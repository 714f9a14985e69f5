package policy

import (
	"reflect"
	"testing"
)

func TestAMRAndACR(t *testing.T) {
	tests := []struct {
		name    string
		methods []Method
		amr     []string
		acr     string
	}{
		{"password only", []Method{MethodPassword}, []string{"pwd"}, ACRPassword},
		{"upstream only", []Method{MethodFederated}, []string{"fed"}, ACRPassword},
		{"password + totp", []Method{MethodPassword, MethodTOTP}, []string{"pwd", "otp", "mfa"}, ACRMFA},
		{"password + sms", []Method{MethodPassword, MethodSMS}, []string{"pwd", "sms", "mfa"}, ACRMFA},
		{"password + backup code", []Method{MethodPassword, MethodBackupCode}, []string{"pwd", "otp", "mfa"}, ACRMFA},
		{"password + email code is not mfa", []Method{MethodPassword, MethodEmail}, []string{"pwd", "email"}, ACRPassword},
		{"password + webauthn", []Method{MethodPassword, MethodWebAuthn}, []string{"pwd", "hwk", "mfa"}, ACRPhishingResistant},
		{"upstream + webauthn", []Method{MethodFederated, MethodWebAuthn}, []string{"fed", "hwk", "mfa"}, ACRPhishingResistant},
		{"upstream + trusted upstream mfa", []Method{MethodFederated, MethodUpstreamMFA}, []string{"fed", "mfa"}, ACRMFA},
		{"upstream + totp", []Method{MethodFederated, MethodTOTP}, []string{"fed", "otp", "mfa"}, ACRMFA},
		{"passkey alone (user verified)", []Method{MethodPasskey}, []string{"hwk", "mfa"}, ACRPhishingResistant},
		{"webauthn alone without UV", []Method{MethodWebAuthn}, []string{"hwk"}, ACRPassword},
		{"email + webauthn without primary", []Method{MethodEmail, MethodWebAuthn}, []string{"hwk", "email"}, ACRPassword},
		{"password + email + totp", []Method{MethodPassword, MethodEmail, MethodTOTP}, []string{"pwd", "otp", "email", "mfa"}, ACRMFA},
		{"order and duplicates", []Method{MethodTOTP, MethodPassword, MethodTOTP}, []string{"pwd", "otp", "mfa"}, ACRMFA},
		{"unknown methods ignored", []Method{"carrier-pigeon", MethodPassword}, []string{"pwd"}, ACRPassword},
		{"nothing", nil, []string{}, ""},
	}
	for _, tt := range tests {
		amr := AMRFor(tt.methods...)
		if !reflect.DeepEqual(amr, tt.amr) {
			t.Errorf("%s: AMRFor = %q, want %q", tt.name, amr, tt.amr)
		}
		if got := ACR(amr); got != tt.acr {
			t.Errorf("%s: ACR(%q) = %q, want %q", tt.name, amr, got, tt.acr)
		}
	}
}

func TestACRFromForeignAMR(t *testing.T) {
	tests := []struct {
		amr  []string
		want string
	}{
		{[]string{"pwd", "otp"}, ACRMFA}, // "mfa" left out by the producer
		{[]string{"mfa"}, ACRMFA},
		{[]string{"hwk", "mfa"}, ACRPhishingResistant},
		{[]string{"pwd", "email"}, ACRPassword},
		{[]string{"face", "geo"}, ""}, // RFC 8176 values we do not rate
		{nil, ""},
	}
	for _, tt := range tests {
		if got := ACR(tt.amr); got != tt.want {
			t.Errorf("ACR(%q) = %q, want %q", tt.amr, got, tt.want)
		}
	}
}

func TestSatisfiesACR(t *testing.T) {
	levels := []string{ACRPassword, ACRMFA, ACRPhishingResistant}
	for hi, have := range levels {
		for wi, want := range levels {
			if got := SatisfiesACR(have, want); got != (hi >= wi) {
				t.Errorf("SatisfiesACR(%s, %s) = %v", have, want, got)
			}
		}
		if SatisfiesACR(have, "urn:example:acr:gold") {
			t.Errorf("%s satisfied an unknown acr", have)
		}
		if SatisfiesACR("", have) {
			t.Errorf("nothing satisfied %s", have)
		}
	}
	if ACRRank("0") != 0 || ACRRank(ACRPhishingResistant) != 3 {
		t.Error("ACRRank mismatch")
	}
}
