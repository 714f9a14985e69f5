package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/backend"
)

func cmdMigrate(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("migrate", io, true)
	if _, err := c.parse(args); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	applied, err := backend.Migrate(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	if applied == nil {
		applied = []int64{}
	}
	return emit(c, io, map[string]any{"applied": applied}, fmt.Sprintf("%d migration(s) applied %v\n", len(applied), applied))
}

type tenantOut struct {
	ID        string    `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	Issuer    string    `json:"issuer"`
	CreatedAt time.Time `json:"created_at"`
}

func cmdTenantCreate(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("tenant create", io, true, "public_url")
	name := c.fs.String("name", "", "display name (required)")
	pos, err := c.parse(args)
	if err != nil {
		return err
	}
	if err := requireArgs("tenant create", pos, 1, "SLUG"); err != nil {
		return err
	}
	a, err := openApp(ctx, c, io, io.err)
	if err != nil {
		return err
	}
	defer a.Close()
	t, err := a.srv.Manage().CreateTenant(ctx, pos[0], *name)
	if err != nil {
		return err
	}
	out := tenantOut{t.ID, t.Slug, t.Name, a.cfg.PublicURL + "/t/" + t.Slug, t.CreatedAt}
	return emit(c, io, out, fmt.Sprintf("created tenant %s (%s)\nissuer: %s\n", t.Slug, t.Name, out.Issuer))
}

func cmdTenantList(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("tenant list", io, true, "public_url")
	if _, err := c.parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, c, io, io.err)
	if err != nil {
		return err
	}
	defer a.Close()
	ts, err := a.store.ListTenants(ctx)
	if err != nil {
		return err
	}
	out := make([]tenantOut, 0, len(ts))
	var rows [][]string
	for _, t := range ts {
		o := tenantOut{t.ID, t.Slug, t.Name, a.cfg.PublicURL + "/t/" + t.Slug, t.CreatedAt}
		out = append(out, o)
		rows = append(rows, []string{t.Slug, t.Name, o.Issuer})
	}
	return emit(c, io, out, table([]string{"SLUG", "NAME", "ISSUER"}, rows))
}

type clientOut struct {
	ClientID               string    `json:"client_id"`
	ClientSecret           string    `json:"client_secret,omitempty"`
	Name                   string    `json:"name"`
	Public                 bool      `json:"public"`
	AppType                string    `json:"app_type"`
	RedirectURIs           []string  `json:"redirect_uris"`
	PostLogoutRedirectURIs []string  `json:"post_logout_redirect_uris"`
	GrantTypes             []string  `json:"grant_types"`
	Scopes                 []string  `json:"scopes"`
	CreatedAt              time.Time `json:"created_at"`
	Issuer                 string    `json:"issuer,omitempty"`    // client create
	Discovery              string    `json:"discovery,omitempty"` // client create
}

// viewClient is a client as the CLI prints it: lists are [] when empty.
func viewClient(cl *store.Client, secret string) clientOut {
	return clientOut{ClientID: cl.ID, ClientSecret: secret, Name: cl.Name, Public: cl.Public, AppType: cl.AppType,
		RedirectURIs: nonNil(cl.RedirectURIs), PostLogoutRedirectURIs: nonNil(cl.PostLogoutRedirectURIs),
		GrantTypes: nonNil(cl.GrantTypes), Scopes: nonNil(cl.Scopes), CreatedAt: cl.CreatedAt}
}

func cmdClientCreate(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("client create", io, true, "public_url")
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	name := c.fs.String("name", "", "application name (required)")
	public := c.fs.Bool("public", false, "public client (no secret; PKCE required)")
	appType := c.fs.String("app-type", "", "web, native or spa (default web; native for --public)")
	var redirects, postLogout, grants, scopes stringList
	c.fs.Var(&redirects, "redirect-uri", "redirect URI, exact match (repeatable)")
	c.fs.Var(&postLogout, "post-logout-redirect-uri", "post-logout redirect URI (repeatable)")
	bcl := c.fs.String("backchannel-logout-uri", "", "OpenID Connect back-channel logout endpoint of the app (optional)")
	c.fs.Var(&grants, "grant", "authorization_code, refresh_token or client_credentials (repeatable; default authorization_code + refresh_token)")
	c.fs.Var(&scopes, "scope", "a Gatehouse scope the client's own tokens may carry: "+strings.Join(store.GrantableScopes, ", ")+" (repeatable; needs --grant client_credentials)")
	pos, err := c.parse(args)
	if err != nil {
		return err
	}
	if err := requireArgs("client create", pos, 0, "no positional arguments"); err != nil {
		return err
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	cl, secret, err := a.srv.Manage().CreateClient(ctx, t.ID, manage.ClientSpec{
		Name: *name, RedirectURIs: redirects, PostLogoutRedirectURIs: postLogout, Public: *public, AppType: *appType, Grants: grants,
		BackchannelLogoutURI: *bcl, Scopes: scopes,
	})
	if err != nil {
		return err
	}
	out := viewClient(cl, secret)
	issuer := a.cfg.PublicURL + "/t/" + t.Slug
	out.Issuer, out.Discovery = issuer, issuer+"/.well-known/openid-configuration"
	human := fmt.Sprintf("client_id:     %s\n", cl.ID)
	if secret != "" {
		human += fmt.Sprintf("client_secret: %s\n(shown once: store it now)\n", secret)
	}
	human += fmt.Sprintf("issuer:        %s\ndiscovery:     %s\n", out.Issuer, out.Discovery)
	switch {
	case cl.HasGrant(store.GrantAuthorizationCode):
		human += "\nNext: configure the app with the issuer (it reads the discovery document), the client id" +
			map[bool]string{true: "", false: " and secret"}[cl.Public] + " and the redirect URI above; it signs users in with the code flow and PKCE (docs/apps.md).\n"
	default:
		human += "\nNext: the app gets tokens with grant_type=client_credentials at " + issuer + "/oauth/token (docs/apps.md).\n"
	}
	return emit(c, io, out, human)
}

func cmdClientList(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("client list", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	if _, err := c.parse(args); err != nil {
		return err
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	cls, err := a.store.ListClients(ctx, t.ID)
	if err != nil {
		return err
	}
	out := make([]clientOut, 0, len(cls))
	var rows [][]string
	for _, cl := range cls {
		out = append(out, viewClient(cl, ""))
		rows = append(rows, []string{cl.ID, cl.Name, cl.AppType, strings.Join(cl.GrantTypes, ","), strings.Join(cl.Scopes, ",")})
	}
	return emit(c, io, out, table([]string{"CLIENT ID", "NAME", "TYPE", "GRANTS", "SCOPES"}, rows))
}

type userOut struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Password  bool      `json:"has_password"`
	CreatedAt time.Time `json:"created_at"`
}

func cmdUserCreate(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("user create", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	email := c.fs.String("email", "", "email address (required)")
	name := c.fs.String("name", "", "display name")
	role := c.fs.String("role", "agent", "owner, admin or agent")
	pwStdin := c.fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if _, err := c.parse(args); err != nil {
		return err
	}
	pw := ""
	if *pwStdin {
		line, err := bufio.NewReader(io.in).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("user create: --password-stdin: no password on standard input")
		}
		pw = strings.TrimRight(line, "\r\n")
		if pw == "" {
			return fmt.Errorf("user create: --password-stdin: the password is empty")
		}
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.srv.Manage().CreateUser(ctx, t, manage.UserSpec{Email: *email, Name: *name, Role: *role, Password: pw})
	if err != nil {
		return err
	}
	out := userOut{u.ID, u.Email, u.Name, u.Role, u.PasswordHash != "", u.CreatedAt}
	return emit(c, io, out, fmt.Sprintf("created %s %s (%s) in tenant %s\n", u.Role, u.Email, u.ID, t.Slug))
}

func cmdUserList(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("user list", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	if _, err := c.parse(args); err != nil {
		return err
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	us, err := a.store.ListUsers(ctx, t.ID)
	if err != nil {
		return err
	}
	out := make([]userOut, 0, len(us))
	var rows [][]string
	for _, u := range us {
		out = append(out, userOut{u.ID, u.Email, u.Name, u.Role, u.PasswordHash != "", u.CreatedAt})
		rows = append(rows, []string{u.ID, u.Email, u.Name, u.Role})
	}
	return emit(c, io, out, table([]string{"ID", "EMAIL", "NAME", "ROLE"}, rows))
}

func cmdKeysRotate(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("keys rotate", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	if _, err := c.parse(args); err != nil {
		return err
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	kid, err := a.srv.Manage().RotateKeys(ctx, t)
	if err != nil {
		return err
	}
	return emit(c, io, map[string]string{"tenant": t.Slug, "kid": kid},
		fmt.Sprintf("new signing key %s for tenant %s; previous keys stay in the JWKS for 24 h\n", kid, t.Slug))
}

// nonNil makes an empty list [] in JSON, not null.
func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// cmdTenantSetupLink prints a new one-time link (24 h) that lets the first
// owner of a tenant set their email and password; refused once the tenant
// has an owner.
func cmdTenantSetupLink(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("tenant setup-link", io, true, "public_url")
	pos, err := c.parse(args)
	if err != nil {
		return err
	}
	if err := requireArgs("tenant setup-link", pos, 1, "SLUG"); err != nil {
		return err
	}
	a, t, err := openTenant(ctx, c, io, pos[0])
	if err != nil {
		return err
	}
	defer a.Close()
	link, err := a.srv.Manage().SetupLink(ctx, t.ID)
	if err != nil {
		return err
	}
	if link == "" {
		return fmt.Errorf("tenant %s has an owner already: setup links are only for the first one (ask the owner, or use user create --role owner)", t.Slug)
	}
	return emit(c, io, map[string]string{"tenant": t.Slug, "link": link},
		fmt.Sprintf("One-time link for the first owner of %s (valid 24 hours):\n\n  %s\n", t.Slug, link))
}
