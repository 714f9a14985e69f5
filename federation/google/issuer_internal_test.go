package google

import "testing"

func TestIssuerDefaultsToGoogleAndCanBeOverridden(t *testing.T) {
	if got := (Config{}).issuer(); got != "https://accounts.google.com" {
		t.Fatalf("default issuer = %q", got)
	}
	if got := (Config{Issuer: "http://127.0.0.1:9"}).issuer(); got != "http://127.0.0.1:9" {
		t.Fatalf("override = %q", got)
	}
}
