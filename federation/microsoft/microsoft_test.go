package microsoft_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
	"github.com/gatehouse-idp/gatehouse/federation/microsoft"
)

const (
	tidAcme  = "11111111-1111-4111-8111-111111111111"
	tidOther = "22222222-2222-4222-8222-222222222222"
	oidAnn   = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
)

func entraUser() fedtest.User {
	return fedtest.User{
		Subject: "pairwise-sub-for-this-app", Email: "ann@acme.example", Name: "Ann",
		TenantID: tidAcme, ObjectID: oidAnn, EDOV: new(true),
		// Entra's own email_verified is not trusted; make it loud.
		EmailVerified: new(true),
	}
}

func connect(t *testing.T, p *fedtest.Provider, mutate func(*microsoft.Config)) (federation.Connector, error) {
	t.Helper()
	cfg := microsoft.Config{
		OAuthClient:      p.Client("entra-1"),
		Tenant:           microsoft.TenantOrganizations,
		AllowedTenantIDs: []string{tidAcme},
		IssuerBase:       p.URL,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	return federation.New(context.Background(), cfg, fedtest.HTTPClient(5*time.Second), time.Now)
}

func mustConnect(t *testing.T, p *fedtest.Provider, mutate func(*microsoft.Config)) federation.Connector {
	t.Helper()
	conn, err := connect(t, p, mutate)
	if err != nil {
		t.Fatalf("federation.New: %v", err)
	}
	return conn
}

func TestEntraMultiTenantHappyPath(t *testing.T) {
	for _, tenant := range []string{microsoft.TenantOrganizations, microsoft.TenantCommon} {
		t.Run(tenant, func(t *testing.T) {
			p := fedtest.EntraLike(t, entraUser())
			conn := mustConnect(t, p, func(c *microsoft.Config) { c.Tenant = tenant })
			id, _, err := p.SignIn(context.Background(), conn)
			if err != nil {
				t.Fatal(err)
			}
			wantIss := p.URL + "/" + tidAcme + "/v2.0"
			if id.Issuer != wantIss || id.Subject != tidAcme+":"+oidAnn || id.ConnectionID != "entra-1" {
				t.Fatalf("key = %+v, want issuer %s", id.Key(), wantIss)
			}
			if id.TenantID != tidAcme || id.ObjectID != oidAnn || id.Email != "ann@acme.example" || !id.EmailVerified {
				t.Fatalf("identity = %+v", id)
			}
			if conn.Kind() != federation.KindMicrosoft {
				t.Fatal(conn.Kind())
			}
			q := p.LastAuthorizeRequest()
			if q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" {
				t.Fatalf("authorize = %v", q)
			}
		})
	}
}

func TestEntraSubjectIgnoresMutableClaims(t *testing.T) {
	p := fedtest.EntraLike(t, entraUser())
	conn := mustConnect(t, p, nil)
	first, _, err := p.SignIn(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	u := entraUser()
	u.Email, u.Subject = "ceo@acme.example", "another-pairwise-sub"
	p.SetUser(u)
	second, _, err := p.SignIn(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	if first.Key() != second.Key() {
		t.Fatalf("same tid+oid, different keys: %+v vs %+v", first.Key(), second.Key())
	}
}

func TestEntraIssuerAndTenantChecks(t *testing.T) {
	cases := []struct {
		name   string
		user   func(*fedtest.User)
		faults func(p *fedtest.Provider) fedtest.Faults
		want   error
	}{
		{"tenant not allowlisted", func(u *fedtest.User) { u.TenantID = tidOther }, nil, federation.ErrTenantNotAllowed},
		{"iss of another tenant than tid", nil, func(p *fedtest.Provider) fedtest.Faults {
			return fedtest.Faults{Issuer: p.URL + "/" + tidOther + "/v2.0"}
		}, federation.ErrIssuerMismatch},
		{"tid of another tenant than iss", nil, func(p *fedtest.Provider) fedtest.Faults {
			return fedtest.Faults{ExtraClaims: map[string]any{"tid": tidOther}}
		}, federation.ErrIssuerMismatch},
		{"the literal template as iss", nil, func(p *fedtest.Provider) fedtest.Faults {
			return fedtest.Faults{Issuer: p.URL + "/{tenantid}/v2.0"}
		}, federation.ErrIssuerMismatch},
		{"right tid, other host", nil, func(p *fedtest.Provider) fedtest.Faults {
			return fedtest.Faults{Issuer: "https://login.microsoftonline.com/" + tidAcme + "/v2.0"}
		}, federation.ErrIssuerMismatch},
		{"no tid", nil, func(*fedtest.Provider) fedtest.Faults { return fedtest.Faults{DropClaims: []string{"tid"}} }, federation.ErrTokenInvalid},
		{"no oid", nil, func(*fedtest.Provider) fedtest.Faults { return fedtest.Faults{DropClaims: []string{"oid"}} }, federation.ErrTokenInvalid},
		{"bad signature", nil, func(*fedtest.Provider) fedtest.Faults { return fedtest.Faults{SignWithUnpublishedKey: true} }, federation.ErrTokenInvalid},
		{"wrong audience", nil, func(*fedtest.Provider) fedtest.Faults { return fedtest.Faults{Audience: "other-app"} }, federation.ErrTokenInvalid},
		{"expired", nil, func(*fedtest.Provider) fedtest.Faults { return fedtest.Faults{Expired: true} }, federation.ErrTokenInvalid},
		{"missing nonce", nil, func(*fedtest.Provider) fedtest.Faults { return fedtest.Faults{Nonce: fedtest.NonceOmit} }, federation.ErrNonceMissing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := entraUser()
			if c.user != nil {
				c.user(&u)
			}
			p := fedtest.EntraLike(t, u)
			conn := mustConnect(t, p, nil)
			if c.faults != nil {
				p.SetFaults(c.faults(p))
			}
			id, _, err := p.SignIn(context.Background(), conn)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v (identity %+v), want %v", err, id.Key(), c.want)
			}
		})
	}
}

func TestEntraSingleTenant(t *testing.T) {
	t.Run("tenant GUID", func(t *testing.T) {
		p := fedtest.EntraLike(t, entraUser())
		conn := mustConnect(t, p, func(c *microsoft.Config) { c.Tenant, c.AllowedTenantIDs = tidAcme, nil })
		id, _, err := p.SignIn(context.Background(), conn)
		if err != nil || id.Issuer != p.URL+"/"+tidAcme+"/v2.0" {
			t.Fatalf("id %+v err %v", id.Key(), err)
		}
		// A consistent token from another tenant is refused.
		u := entraUser()
		u.TenantID = tidOther
		p.SetUser(u)
		if _, _, err := p.SignIn(context.Background(), conn); !errors.Is(err, federation.ErrTenantNotAllowed) {
			t.Fatalf("other tenant: %v", err)
		}
	})
	t.Run("tenant domain", func(t *testing.T) {
		p := fedtest.EntraLike(t, entraUser())
		p.AddTenantDomain("acme.example", tidAcme)
		conn := mustConnect(t, p, func(c *microsoft.Config) { c.Tenant, c.AllowedTenantIDs = "acme.example", nil })
		id, _, err := p.SignIn(context.Background(), conn)
		if err != nil || id.TenantID != tidAcme {
			t.Fatalf("id %+v err %v", id, err)
		}
		if _, err := connect(t, p, func(c *microsoft.Config) { c.Tenant, c.AllowedTenantIDs = "acme.example", []string{tidOther} }); !errors.Is(err, federation.ErrTenantNotAllowed) {
			t.Fatalf("domain resolving outside the allowlist: %v", err)
		}
	})
	t.Run("unknown tenant", func(t *testing.T) {
		p := fedtest.EntraLike(t, entraUser())
		if _, err := connect(t, p, func(c *microsoft.Config) { c.Tenant, c.AllowedTenantIDs = "nobody.example", nil }); !errors.Is(err, federation.ErrUpstreamUnavailable) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestEntraEmailVerified(t *testing.T) {
	cases := []struct {
		name    string
		edov    *bool
		email   string
		domains []string
		want    bool
	}{
		{"xms_edov true", new(true), "ann@acme.example", nil, true},
		{"xms_edov false", new(false), "ann@acme.example", nil, false},
		{"xms_edov absent (email_verified=true ignored)", nil, "ann@acme.example", nil, false},
		{"xms_edov absent, domain vouched by admin", nil, "ann@ACME.example", []string{"acme.example"}, true},
		{"xms_edov false, domain vouched by admin", new(false), "ann@acme.example", []string{"Acme.Example"}, true},
		{"domain not vouched", nil, "ann@elsewhere.example", []string{"acme.example"}, false},
		{"subdomain is not the domain", nil, "ann@evil.acme.example", []string{"acme.example"}, false},
		{"no email", new(true), "", []string{"acme.example"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := entraUser()
			u.EDOV, u.Email = c.edov, c.email
			p := fedtest.EntraLike(t, u)
			conn := mustConnect(t, p, func(cfg *microsoft.Config) { cfg.AllowedDomains = c.domains })
			id, _, err := p.SignIn(context.Background(), conn)
			if err != nil {
				t.Fatal(err)
			}
			if id.EmailVerified != c.want {
				t.Fatalf("EmailVerified = %v, want %v", id.EmailVerified, c.want)
			}
		})
	}
}

func TestEntraConfigValidate(t *testing.T) {
	client := federation.OAuthClient{ConnectionID: "e", ClientID: "id", ClientSecret: "s", RedirectURL: "https://gh.example/cb"}
	cases := []struct {
		name string
		cfg  microsoft.Config
		want []string
	}{
		{"multi-tenant without allowlist", microsoft.Config{OAuthClient: client, Tenant: "organizations"}, []string{"'allowed_tenant_ids' must list"}},
		{"bad tenant", microsoft.Config{OAuthClient: client, Tenant: "consumers"}, []string{"'tenant' must be", "'consumers'"}},
		{"no tenant", microsoft.Config{OAuthClient: client}, []string{"'tenant' must be set"}},
		{"single tenant with other ids", microsoft.Config{OAuthClient: client, Tenant: tidAcme, AllowedTenantIDs: []string{tidOther}}, []string{"must be empty or list only"}},
		{"bad ids and domains", microsoft.Config{OAuthClient: client, Tenant: "common", AllowedTenantIDs: []string{"acme"}, AllowedDomains: []string{"@acme"}},
			[]string{"must list tenant GUIDs but it contains 'acme'", "'allowed_domains'"}},
		{"issuer base with a path", microsoft.Config{OAuthClient: client, Tenant: tidAcme, IssuerBase: "https://login.example/common"}, []string{"'issuer_base' must be a bare origin"}},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		if !errors.Is(err, federation.ErrInvalidConfig) {
			t.Errorf("%s: err = %v", c.name, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", c.name, err, w)
			}
		}
	}
	ok := microsoft.Config{OAuthClient: client, Tenant: "Organizations", AllowedTenantIDs: []string{strings.ToUpper(tidAcme)}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
}
