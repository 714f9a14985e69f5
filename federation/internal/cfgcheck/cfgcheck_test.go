package cfgcheck

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	for v, ok := range map[string]bool{
		"https://idp.example":            true,
		"https://idp.example/t/a":        true,
		"http://127.0.0.1:8080":          true,
		"http://localhost/x":             true,
		"http://idp.example":             false,
		"ftp://idp.example":              false,
		"idp.example":                    false,
		"https://idp.example/?x=1":       false,
		"https://user:pw@idp.example/cb": false,
		"https://idp.example/#frag":      false,
	} {
		if (CheckURL(v) == nil) != ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", v, CheckURL(v), ok)
		}
	}
}

func TestShapes(t *testing.T) {
	if !IsGUID("0f0e0d0c-0b0a-4909-8807-060504030201") || IsGUID("0F0E0D0C-0B0A-4909-8807-060504030201") || IsGUID("organizations") {
		t.Error("IsGUID")
	}
	if !IsDomain("acme.example") || !IsDomain("a-b.co.uk") || IsDomain("acme") || IsDomain("@acme.example") || IsDomain("-a.example") {
		t.Error("IsDomain")
	}
	if got := Lower([]string{" A.Example ", "", "b.example"}); strings.Join(got, ",") != "a.example,b.example" {
		t.Errorf("Lower = %v", got)
	}
}

func TestProblemsCollectsEverything(t *testing.T) {
	p := New("demo")
	if p.Err() != nil {
		t.Fatal("empty list must be nil")
	}
	p.Client("", "", "", "http://x.example")
	err := p.Err()
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatal(err)
	}
	for _, w := range []string{"demo: option 'connection_id' must be set", "'client_id'", "'client_secret'", "'redirect_url' must use https (http only for 127.0.0.1/localhost) but it's configured as 'http://x.example'"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
}
