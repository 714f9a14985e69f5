package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
)

// gatehouse connection add|list|update|disable|enable|remove: upstream
// identity providers per tenant ("Sign in with Google / Office 365 / OIDC").
// The client secret is read from standard input, sealed, and never printed.

func cmdConnection(ctx context.Context, args []string, io *cmdIO) error {
	return sub(ctx, "connection", args, io, map[string]func(context.Context, []string, *cmdIO) error{
		"add": cmdConnectionAdd, "list": cmdConnectionList, "update": cmdConnectionUpdate,
		"disable": cmdConnectionDisable, "enable": cmdConnectionEnable, "remove": cmdConnectionRemove})
}

// connFlags are the settings add and update share.
type connFlags struct {
	name, clientID, issuer, entraTenant, defaultRole, linkMode *string
	secretStdin, jit, noJIT, acceptMFA                         *bool
	hostedDomains, allowedTenantIDs, allowedDomains            stringList
}

func addConnFlags(fs *flag.FlagSet) *connFlags {
	f := &connFlags{}
	f.name = fs.String("name", "", "button label after 'Sign in with' (default Google, Office 365, or the issuer's host)")
	f.clientID = fs.String("client-id", "", "OAuth client id registered at the upstream")
	f.secretStdin = fs.Bool("client-secret-stdin", false, "read the client secret from the first line of standard input")
	f.issuer = fs.String("issuer", "", "OIDC issuer URL (oidc: required; google/microsoft: override the public endpoint)")
	fs.Var(&f.hostedDomains, "hosted-domain", "google: allowed Workspace domain (hd claim); repeatable")
	f.entraTenant = fs.String("entra-tenant", "", "microsoft: organizations, common, a tenant id or a verified tenant domain")
	fs.Var(&f.allowedTenantIDs, "allowed-tenant-id", "microsoft: Entra tenant id allowed to sign in; repeatable")
	fs.Var(&f.allowedDomains, "allowed-domain", "microsoft: email domain whose addresses count as verified; repeatable")
	f.jit = fs.Bool("jit", false, "create users on their first sign-in")
	f.noJIT = fs.Bool("no-jit", false, "never create users on sign-in (default for add)")
	f.defaultRole = fs.String("default-role", "agent", "role of users created on first sign-in: agent or admin")
	f.linkMode = fs.String("link-mode", "none", "linking to existing accounts by email: none or verified_email_with_proof")
	f.acceptMFA = fs.Bool("accept-upstream-mfa", false, "count the upstream's amr 'mfa' as multi-factor")
	return f
}

func readSecret(cmd string, io *cmdIO) (string, error) {
	line, err := bufio.NewReader(io.in).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("%s: --client-secret-stdin: no secret on standard input", cmd)
	}
	s := strings.TrimRight(line, "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s: --client-secret-stdin: the secret is empty", cmd)
	}
	return s, nil
}

func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

type connectionList struct {
	Connections []*manage.ConnectionView `json:"connections"`
}

func humanConnection(v *manage.ConnectionView) string {
	state := "enabled"
	if !v.Enabled {
		state = "disabled"
	}
	jit := "off"
	if v.JIT {
		jit = "on (role " + v.DefaultRole + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s %q  %s\n", v.ID, v.Kind, v.Name, state)
	fmt.Fprintf(&b, "  client id:    %s\n", v.ClientID)
	if v.Issuer != "" {
		fmt.Fprintf(&b, "  issuer:       %s\n", v.Issuer)
	}
	if len(v.HostedDomains) > 0 {
		fmt.Fprintf(&b, "  domains (hd): %s\n", strings.Join(v.HostedDomains, ", "))
	}
	if v.EntraTenant != "" {
		fmt.Fprintf(&b, "  entra tenant: %s\n", v.EntraTenant)
	}
	if len(v.AllowedTenantIDs) > 0 {
		fmt.Fprintf(&b, "  tenant ids:   %s\n", strings.Join(v.AllowedTenantIDs, ", "))
	}
	if len(v.AllowedDomains) > 0 {
		fmt.Fprintf(&b, "  verified domains: %s\n", strings.Join(v.AllowedDomains, ", "))
	}
	fmt.Fprintf(&b, "  JIT:          %s\n  link mode:    %s\n  redirect URI: %s\n", jit, v.LinkMode, v.RedirectURI)
	return b.String()
}

func cmdConnectionAdd(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("connection add", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	f := addConnFlags(c.fs)
	pos, err := c.parse(args)
	if err != nil {
		return err
	}
	if err := requireArgs("connection add", pos, 1, "KIND (google, microsoft or oidc)"); err != nil {
		return err
	}
	if *f.jit && *f.noJIT {
		return errors.New("connection add: --jit and --no-jit contradict each other")
	}
	secret := ""
	if *f.secretStdin {
		if secret, err = readSecret("connection add", io); err != nil {
			return err
		}
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.srv.Manage().CreateConnection(ctx, t, manage.ConnectionSpec{
		Kind: pos[0], Name: *f.name, ClientID: *f.clientID, ClientSecret: secret, Issuer: *f.issuer,
		HostedDomains: f.hostedDomains, EntraTenant: *f.entraTenant, AllowedTenantIDs: f.allowedTenantIDs,
		AllowedDomains: f.allowedDomains, JIT: *f.jit, DefaultRole: *f.defaultRole, LinkMode: *f.linkMode,
		AcceptUpstreamMFA: *f.acceptMFA,
	})
	if err != nil {
		return err
	}
	return emit(c, io, v, "created connection\n"+humanConnection(v)+
		"Register the redirect URI above with the upstream before users sign in.\n")
}

func cmdConnectionUpdate(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("connection update", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	f := addConnFlags(c.fs)
	pos, err := c.parse(args)
	if err != nil {
		return err
	}
	if err := requireArgs("connection update", pos, 1, "CONNECTION_ID"); err != nil {
		return err
	}
	set := setFlags(c.fs)
	var ch manage.ConnectionChange
	str := func(flag string, v *string) *string {
		if set[flag] {
			return v
		}
		return nil
	}
	ch.Name, ch.ClientID, ch.Issuer = str("name", f.name), str("client-id", f.clientID), str("issuer", f.issuer)
	ch.EntraTenant, ch.DefaultRole, ch.LinkMode = str("entra-tenant", f.entraTenant), str("default-role", f.defaultRole), str("link-mode", f.linkMode)
	if set["hosted-domain"] {
		ch.HostedDomains = (*[]string)(&f.hostedDomains)
	}
	if set["allowed-tenant-id"] {
		ch.AllowedTenantIDs = (*[]string)(&f.allowedTenantIDs)
	}
	if set["allowed-domain"] {
		ch.AllowedDomains = (*[]string)(&f.allowedDomains)
	}
	switch {
	case set["jit"] && set["no-jit"]:
		return errors.New("connection update: --jit and --no-jit contradict each other")
	case set["jit"]:
		ch.JIT = f.jit
	case set["no-jit"]:
		off := !*f.noJIT
		ch.JIT = &off
	}
	if set["accept-upstream-mfa"] {
		ch.AcceptUpstreamMFA = f.acceptMFA
	}
	if *f.secretStdin {
		s, err := readSecret("connection update", io)
		if err != nil {
			return err
		}
		ch.ClientSecret = &s
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.srv.Manage().UpdateConnection(ctx, t, pos[0], ch)
	if err != nil {
		return err
	}
	return emit(c, io, v, "updated connection\n"+humanConnection(v))
}

func cmdConnectionList(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("connection list", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	if _, err := c.parse(args); err != nil {
		return err
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	list, err := a.srv.Manage().ListConnections(ctx, t)
	if err != nil {
		return err
	}
	var b strings.Builder
	if len(list) == 0 {
		b.WriteString("no connections\n")
	}
	for _, v := range list {
		b.WriteString(humanConnection(v))
	}
	return emit(c, io, connectionList{Connections: list}, b.String())
}

type connectionResult struct {
	*manage.ConnectionView
	SessionsEnded int `json:"sessions_ended"`
}

func cmdConnectionDisable(ctx context.Context, args []string, io *cmdIO) error {
	return setEnabled(ctx, "disable", false, args, io)
}

func cmdConnectionEnable(ctx context.Context, args []string, io *cmdIO) error {
	return setEnabled(ctx, "enable", true, args, io)
}

func setEnabled(ctx context.Context, verb string, enabled bool, args []string, io *cmdIO) error {
	c := newFlags("connection "+verb, io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	var end *bool
	if !enabled {
		end = c.fs.Bool("end-sessions", false, "also end the sessions that were signed in through this connection")
	}
	pos, err := c.parse(args)
	if err != nil {
		return err
	}
	if err := requireArgs("connection "+verb, pos, 1, "CONNECTION_ID"); err != nil {
		return err
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	v, n, err := a.srv.Manage().SetConnectionEnabled(ctx, t, pos[0], enabled, end != nil && *end)
	if err != nil {
		return err
	}
	human := fmt.Sprintf("%sd connection %s (%s)\n", verb, v.ID, v.Name)
	if end != nil && *end {
		human += fmt.Sprintf("ended %d session(s) signed in through it\n", n)
	}
	return emit(c, io, connectionResult{v, n}, human)
}

type removedOut struct {
	ID            string `json:"id"`
	Removed       bool   `json:"removed"`
	SessionsEnded int    `json:"sessions_ended"`
}

func cmdConnectionRemove(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("connection remove", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	end := c.fs.Bool("end-sessions", false, "also end the sessions that were signed in through this connection")
	pos, err := c.parse(args)
	if err != nil {
		return err
	}
	if err := requireArgs("connection remove", pos, 1, "CONNECTION_ID"); err != nil {
		return err
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.srv.Manage().RemoveConnection(ctx, t, pos[0], *end)
	if err != nil {
		return err
	}
	human := fmt.Sprintf("removed connection %s and its links\n", pos[0])
	if *end {
		human += fmt.Sprintf("ended %d session(s) signed in through it\n", n)
	}
	return emit(c, io, removedOut{pos[0], true, n}, human)
}
