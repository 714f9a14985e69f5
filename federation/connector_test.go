package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSecretNeverPrints(t *testing.T) {
	c := OAuthClient{ConnectionID: "c1", ClientID: "id", ClientSecret: "hunter2-super-secret", RedirectURL: "https://x/cb"}
	for _, s := range []string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(c.ClientSecret),
	} {
		if strings.Contains(s, "hunter2") {
			t.Fatalf("secret printed: %s", s)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cfg", "client", c, "secret", c.ClientSecret)
	if strings.Contains(buf.String(), "hunter2") {
		t.Fatalf("secret logged: %s", buf.String())
	}
	b, err := json.Marshal(c)
	if err != nil || !strings.Contains(string(b), `"client_secret":"hunter2-super-secret"`) {
		t.Fatalf("JSON must keep the secret for storage: %s %v", b, err)
	}
	if c.ClientSecret.Reveal() != "hunter2-super-secret" {
		t.Fatal("Reveal")
	}
}

func TestIdentityLogValueLeavesOutPersonalData(t *testing.T) {
	id := Identity{ConnectionID: "c", Issuer: "https://iss", Subject: "s", Email: "a@b.example", Name: "Ann",
		RawClaims: map[string]any{"email": "a@b.example"}}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("signin", "identity", id)
	out := buf.String()
	if strings.Contains(out, "a@b.example") || strings.Contains(out, "Ann") || !strings.Contains(out, `"subject":"s"`) {
		t.Fatalf("log line: %s", out)
	}
	if id.Key() != (LinkKey{ConnectionID: "c", Issuer: "https://iss", Subject: "s"}) {
		t.Fatal("Key")
	}
}

type fakeConfig struct{ opened bool }

func (*fakeConfig) Kind() Kind      { return KindOIDC }
func (*fakeConfig) Validate() error { return nil }
func (f *fakeConfig) Open(context.Context, Env) (Connector, error) {
	f.opened = true
	return nil, errors.New("opened")
}

func TestNewRequiresClientWithTimeoutAndClock(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		client *http.Client
		clock  Clock
		want   string
	}{
		{"no client", nil, time.Now, "*http.Client is required"},
		{"no timeout", &http.Client{}, time.Now, "must have a Timeout"},
		{"no clock", &http.Client{Timeout: time.Second}, nil, "Clock is required"},
	}
	for _, c := range cases {
		cfg := &fakeConfig{}
		_, err := New(ctx, cfg, c.client, c.clock)
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), c.want) || cfg.opened {
			t.Errorf("%s: err = %v (opened %v)", c.name, err, cfg.opened)
		}
	}
	if _, err := New(ctx, nil, &http.Client{Timeout: time.Second}, time.Now); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil config: %v", err)
	}
	cfg := &fakeConfig{}
	if _, err := New(ctx, cfg, &http.Client{Timeout: time.Second}, time.Now); err == nil || !cfg.opened {
		t.Errorf("good env must reach Open: %v", err)
	}
}
