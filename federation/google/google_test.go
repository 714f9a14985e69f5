package google_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
	"github.com/gatehouse-idp/gatehouse/federation/google"
)

func workspaceUser() fedtest.User {
	return fedtest.User{Subject: "1098", Email: "ann@acme.example", EmailVerified: new(true), Name: "Ann", HostedDomain: "acme.example"}
}

func connect(t *testing.T, p *fedtest.Provider, domains ...string) federation.Connector {
	t.Helper()
	cfg := google.Config{OAuthClient: p.Client("google-1"), Issuer: p.Issuer, AllowedHostedDomains: domains}
	conn, err := federation.New(context.Background(), cfg, fedtest.HTTPClient(5*time.Second), time.Now)
	if err != nil {
		t.Fatalf("federation.New: %v", err)
	}
	return conn
}

func TestGoogleHappyPath(t *testing.T) {
	p := fedtest.GoogleLike(t, workspaceUser())
	conn := connect(t, p, "Acme.Example")
	id, _, err := p.SignIn(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	if conn.Kind() != federation.KindGoogle || id.ConnectionID != "google-1" || id.Issuer != p.Issuer || id.Subject != "1098" {
		t.Fatalf("identity key = %+v", id.Key())
	}
	if id.HostedDomain != "acme.example" || id.Email != "ann@acme.example" || !id.EmailVerified {
		t.Fatalf("identity = %+v", id)
	}
	if hd := p.LastAuthorizeRequest().Get("hd"); hd != "acme.example" {
		t.Fatalf("hd hint = %q", hd)
	}
}

func TestGoogleHostedDomainIsCheckedOnTheToken(t *testing.T) {
	cases := []struct {
		name    string
		hd      string
		allowed []string
		want    error
		hint    string
	}{
		{"allowed", "acme.example", []string{"acme.example"}, nil, "acme.example"},
		{"one of several", "beta.example", []string{"acme.example", "beta.example"}, nil, "*"},
		{"other Workspace domain", "evil.example", []string{"acme.example"}, federation.ErrDomainNotAllowed, "acme.example"},
		{"consumer account (no hd)", "", []string{"acme.example"}, federation.ErrDomainNotAllowed, "acme.example"},
		{"no allowlist admits consumer accounts", "", nil, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := workspaceUser()
			u.HostedDomain = c.hd
			// fedtest, like an attacker stripping the hint, ignores hd=.
			p := fedtest.GoogleLike(t, u)
			conn := connect(t, p, c.allowed...)
			id, _, err := p.SignIn(context.Background(), conn)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if err == nil && id.HostedDomain != c.hd {
				t.Fatalf("hd = %q", id.HostedDomain)
			}
			if got := p.LastAuthorizeRequest().Get("hd"); got != c.hint {
				t.Fatalf("hd hint = %q, want %q", got, c.hint)
			}
		})
	}
}

func TestGoogleEmailVerifiedComesFromTheTokenOnly(t *testing.T) {
	u := workspaceUser()
	u.EmailVerified = new(false)
	p := fedtest.GoogleLike(t, u)
	conn := connect(t, p)
	id, _, err := p.SignIn(context.Background(), conn)
	if err != nil || id.EmailVerified {
		t.Fatalf("verified = %v, err = %v", id.EmailVerified, err)
	}
	// Userinfo would say verified; Google's connector does not ask it.
	p.SetUser(workspaceUser())
	p.SetFaults(fedtest.Faults{ClaimsOnlyInUserInfo: true})
	id, _, err = p.SignIn(context.Background(), conn)
	if err != nil || id.EmailVerified || id.Email != "" {
		t.Fatalf("email %q verified %v, err %v", id.Email, id.EmailVerified, err)
	}
}

func TestGoogleTokenChecksStillApply(t *testing.T) {
	for _, f := range []fedtest.Faults{
		{SignWithUnpublishedKey: true}, {Audience: "other"}, {Expired: true}, {Nonce: fedtest.NonceWrong},
	} {
		p := fedtest.GoogleLike(t, workspaceUser())
		conn := connect(t, p, "acme.example")
		p.SetFaults(f)
		if _, _, err := p.SignIn(context.Background(), conn); !errors.Is(err, federation.ErrTokenInvalid) && !errors.Is(err, federation.ErrNonceMismatch) {
			t.Errorf("%+v: err = %v", f, err)
		}
	}
}

func TestGoogleConfig(t *testing.T) {
	err := google.Config{
		OAuthClient:          federation.OAuthClient{ConnectionID: "g", ClientID: "id", ClientSecret: "s3cr3t-value", RedirectURL: "https://gh.example/cb"},
		AllowedHostedDomains: []string{"acme.example", "not a domain"},
	}.Validate()
	if !errors.Is(err, federation.ErrInvalidConfig) || !strings.Contains(err.Error(), "'allowed_hosted_domains'") || !strings.Contains(err.Error(), "'not a domain'") {
		t.Fatalf("err = %v", err)
	}
	cfg := google.Config{OAuthClient: federation.OAuthClient{ClientSecret: "s3cr3t-value"}}
	if s := fmt.Sprintf("%+v", cfg); strings.Contains(s, "s3cr3t") {
		t.Fatalf("secret printed: %s", s)
	}
	if google.DefaultIssuer != "https://accounts.google.com" {
		t.Fatal(google.DefaultIssuer)
	}
}
