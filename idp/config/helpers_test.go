package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testKey is base64 of 32 bytes (0x00..0x1f); testKeyB64URL is the same key
// URL-safe and unpadded.
const (
	testKey       = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	testKeyB64URL = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
)

// src builds Sources from maps, the way the serve command builds them from
// os.LookupEnv, os.Environ and the flag set. A non-empty yaml is written to
// a file in a fresh temporary directory.
type src struct {
	dev   bool
	yaml  string
	env   map[string]string
	flags map[string]string
}

func (s src) sources(t *testing.T) Sources {
	t.Helper()
	out := Sources{
		Dev:   s.dev,
		Flags: s.flags,
		Env: func(name string) (string, bool) {
			v, ok := s.env[name]
			return v, ok
		},
		Environ: func() []string {
			var kv []string
			for k, v := range s.env {
				kv = append(kv, k+"="+v)
			}
			return kv
		},
	}
	if s.yaml != "" {
		out.File = filepath.Join(t.TempDir(), "gatehouse.yaml")
		if err := os.WriteFile(out.File, []byte(s.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// prodEnv is the least a production start needs, plus extra.
func prodEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"GATEHOUSE_PUBLIC_URL": "https://login.example.com",
		"GATEHOUSE_MASTER_KEY": testKey,
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// leaves flattens an errors.Join tree into its leaf errors.
func leaves(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

// fieldErrors returns the *FieldErrors in err, by option.
func fieldErrors(err error) map[string]*FieldError {
	out := map[string]*FieldError{}
	for _, e := range leaves(err) {
		var fe *FieldError
		if errors.As(e, &fe) {
			out[fe.Option] = fe
		}
	}
	return out
}

func problemNames(err error) []string {
	var out []string
	for _, e := range leaves(err) {
		var fe *FieldError
		var ue *UnknownOptionError
		switch {
		case errors.As(e, &fe):
			out = append(out, fe.Option)
		case errors.As(e, &ue):
			out = append(out, "unknown:"+ue.Name)
		default:
			out = append(out, "other:"+e.Error())
		}
	}
	return out
}

func mustNotContain(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s contains the secret %q:\n%s", what, s, text)
		}
	}
}
