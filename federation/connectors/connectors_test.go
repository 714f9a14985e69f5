package connectors_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/connectors"
	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
	"github.com/gatehouse-idp/gatehouse/federation/google"
	"github.com/gatehouse-idp/gatehouse/federation/microsoft"
	"github.com/gatehouse-idp/gatehouse/federation/oidc"
)

const tid = "33333333-3333-4333-8333-333333333333"

// A stored Entra connection, decoded and opened the way the idp will, then
// a first sign-in decided by DecideLink.
func TestStoredEntraConnectionEndToEnd(t *testing.T) {
	p := fedtest.EntraLike(t, fedtest.User{
		Subject: "s", Email: "bo@acme.example", Name: "Bo", TenantID: tid,
		ObjectID: "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", EDOV: new(true),
	})
	settings, _ := json.Marshal(map[string]any{
		"connection_id":      "entra-acme",
		"client_id":          p.ClientID,
		"client_secret":      p.ClientSecret,
		"redirect_url":       fedtest.DefaultRedirectURL,
		"tenant":             "organizations",
		"allowed_tenant_ids": []string{tid},
		"issuer_base":        p.URL,
	})
	cfg, err := connectors.Decode(federation.KindMicrosoft, settings)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.(microsoft.Config); !ok {
		t.Fatalf("decoded %T", cfg)
	}
	conn, err := federation.New(context.Background(), cfg, fedtest.HTTPClient(5*time.Second), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := p.SignIn(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	d := federation.DecideLink(federation.LinkPolicy{JITProvisioning: true, LinkMode: federation.LinkModeVerifiedEmailWithProof}, id, federation.LinkFacts{})
	if d.Action != federation.ActionCreateUser || d.NewUser.Email != "bo@acme.example" {
		t.Fatalf("decision = %+v", d)
	}
	d = federation.DecideLink(federation.LinkPolicy{JITProvisioning: true, LinkMode: federation.LinkModeVerifiedEmailWithProof}, id,
		federation.LinkFacts{EmailMatch: &federation.LocalAccount{UserID: "u1", HasPassword: true}})
	if d.Action != federation.ActionRequireProof || d.UserID != "u1" {
		t.Fatalf("decision = %+v", d)
	}
}

func TestDecodeKinds(t *testing.T) {
	client := `"connection_id":"c","client_id":"id","client_secret":"s","redirect_url":"https://gh.example/cb"`
	cases := []struct {
		kind     federation.Kind
		settings string
		wantType any
	}{
		{federation.KindGoogle, `{` + client + `,"allowed_hosted_domains":["acme.example"]}`, google.Config{}},
		{federation.KindOIDC, `{` + client + `,"issuer":"https://idp.example","extra_scopes":["groups"]}`, oidc.Config{}},
		{federation.KindMicrosoft, `{` + client + `,"tenant":"` + tid + `"}`, microsoft.Config{}},
	}
	for _, c := range cases {
		cfg, err := connectors.Decode(c.kind, []byte(c.settings))
		if err != nil {
			t.Errorf("%s: %v", c.kind, err)
			continue
		}
		if cfg.Kind() != c.kind {
			t.Errorf("%s: kind %s", c.kind, cfg.Kind())
		}
	}
	g, _ := connectors.Decode(federation.KindGoogle, []byte(cases[0].settings))
	if gc := g.(google.Config); gc.ClientSecret.Reveal() != "s" || gc.AllowedHostedDomains[0] != "acme.example" {
		t.Fatalf("decoded %+v", gc)
	}
	if len(connectors.Kinds()) != 3 {
		t.Fatal(connectors.Kinds())
	}
}

func TestDecodeRefusesWhatItDoesNotUnderstand(t *testing.T) {
	client := `"connection_id":"c","client_id":"id","client_secret":"s","redirect_url":"https://gh.example/cb"`
	cases := []struct {
		name     string
		kind     federation.Kind
		settings string
		want     string
	}{
		{"unknown kind", "saml", `{}`, `unknown connector kind "saml"`},
		{"unknown key", federation.KindGoogle, `{` + client + `,"allowed_domains":["acme.example"]}`, `unknown field "allowed_domains"`},
		{"auto linking has no switch", federation.KindOIDC, `{` + client + `,"issuer":"https://i.example","insecure_skip_email_verified":true}`, `unknown field`},
		{"trailing data", federation.KindGoogle, `{` + client + `} {}`, "trailing data"},
		{"wrong type", federation.KindMicrosoft, `{` + client + `,"tenant":42}`, "cannot unmarshal"},
		{"invalid values", federation.KindMicrosoft, `{` + client + `,"tenant":"organizations"}`, "'allowed_tenant_ids' must list"},
	}
	for _, c := range cases {
		_, err := connectors.Decode(c.kind, []byte(c.settings))
		if !errors.Is(err, federation.ErrInvalidConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrInvalidConfig containing %q", c.name, err, c.want)
		}
	}
}
