package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Access-policy commands:
//
//	gatehouse ip-allowlist add|remove|list --tenant SLUG --scope signin|api [CIDR] [--note TEXT] [--my-ip IP] [--force]
//	gatehouse user unlock --tenant SLUG --email EMAIL
//	gatehouse session list|revoke --tenant SLUG --email EMAIL [SESSION_ID|--all]
//
// The CLI runs on the server against the database, so the sign-in allowlist
// does not apply to it: it is the break-glass path when an allowlist shuts
// everyone out. There is no "current address" for a CLI user; --my-ip names
// the address the admin will sign in from, and saving a sign-in list that
// would exclude it is refused unless --force is given.

var ipAllowlistCmds = map[string]func(context.Context, []string, *cmdIO) error{
	"add": cmdIPAllowAdd, "remove": cmdIPAllowRemove, "list": cmdIPAllowList}

var sessionCmds = map[string]func(context.Context, []string, *cmdIO) error{
	"list": cmdSessionList, "revoke": cmdSessionRevoke}

type allowEntryOut struct {
	CIDR string `json:"cidr"`
	Note string `json:"note"`
}

func allowlistOut(scope string, entries []policy.Entry) (any, string) {
	out := make([]allowEntryOut, 0, len(entries))
	if len(entries) == 0 {
		return map[string]any{"scope": scope, "entries": out}, fmt.Sprintf("%s allowlist is empty: no restriction\n", scope)
	}
	var rows [][]string
	for _, e := range entries {
		out = append(out, allowEntryOut{e.CIDR, e.Note})
		rows = append(rows, []string{e.CIDR, e.Note})
	}
	return map[string]any{"scope": scope, "entries": out}, table([]string{"CIDR", "NOTE"}, rows)
}

type allowFlags struct {
	c      *commonFlags
	tenant *string
	scope  *string
	note   *string
	myIP   *string
	force  *bool
}

func newAllowFlags(name string, io *cmdIO, edit bool) allowFlags {
	c := newFlags(name, io, true)
	f := allowFlags{c: c, tenant: c.fs.String("tenant", "", "tenant slug (required)"),
		scope: c.fs.String("scope", "", "signin (login and account pages) or api (client_credentials, introspection) (required)")}
	if edit {
		f.note = c.fs.String("note", "", "whose address this is, e.g. \"Berlin office\" (required for add)")
		f.myIP = c.fs.String("my-ip", "", "the address you will sign in from: a signin list that excludes it is refused")
		f.force = c.fs.Bool("force", false, "save a signin list even if it excludes --my-ip")
	}
	return f
}

func cmdIPAllowList(ctx context.Context, args []string, io *cmdIO) error {
	f := newAllowFlags("ip-allowlist list", io, false)
	if _, err := f.c.parse(args); err != nil {
		return err
	}
	a, t, err := openTenant(ctx, f.c, io, *f.tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	entries, err := a.srv.Manage().IPAllowlist(t, *f.scope)
	if err != nil {
		return err
	}
	v, human := allowlistOut(*f.scope, entries)
	return emit(f.c, io, v, human)
}

func cmdIPAllowAdd(ctx context.Context, args []string, io *cmdIO) error {
	return ipAllowEdit(ctx, "add", args, io)
}

func cmdIPAllowRemove(ctx context.Context, args []string, io *cmdIO) error {
	return ipAllowEdit(ctx, "remove", args, io)
}

func ipAllowEdit(ctx context.Context, action string, args []string, io *cmdIO) error {
	name := "ip-allowlist " + action
	f := newAllowFlags(name, io, true)
	pos, err := f.c.parse(args)
	if err != nil {
		return err
	}
	if err := requireArgs(name, pos, 1, "one IP address or CIDR range"); err != nil {
		return err
	}
	ch := manage.AllowlistChange{Scope: *f.scope, CurrentIP: *f.myIP, Force: *f.force}
	if action == "add" {
		ch.Add = &policy.Entry{CIDR: pos[0], Note: *f.note}
	} else {
		ch.Remove = pos[0]
	}
	a, t, err := openTenant(ctx, f.c, io, *f.tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	entries, err := a.srv.Manage().ChangeIPAllowlist(ctx, t, ch)
	if err != nil {
		return err
	}
	v, human := allowlistOut(*f.scope, entries)
	return emit(f.c, io, v, human)
}

// openTenant opens the app and resolves --tenant.
func openTenant(ctx context.Context, c *commonFlags, io *cmdIO, slug string) (*app, *store.Tenant, error) {
	if slug == "" {
		return nil, nil, errors.New("--tenant is required")
	}
	a, err := openApp(ctx, c, io, io.err)
	if err != nil {
		return nil, nil, err
	}
	t, err := a.srv.Manage().TenantBySlug(ctx, slug)
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, t, nil
}

func cmdUserUnlock(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("user unlock", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	email := c.fs.String("email", "", "the user's email (required)")
	if _, err := c.parse(args); err != nil {
		return err
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.srv.Manage().UnlockUser(ctx, t, *email)
	if err != nil {
		return err
	}
	human := fmt.Sprintf("%s was not locked\n", *email)
	if n > 0 {
		human = fmt.Sprintf("unlocked %s: failed sign-in counter cleared\n", *email)
	}
	return emit(c, io, map[string]any{"email": *email, "counters_cleared": n}, human)
}

type sessionOut struct {
	ID        string    `json:"id"`
	Device    string    `json:"device"`
	IP        string    `json:"ip"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Apps      []string  `json:"apps"`
}

func sessionUser(ctx context.Context, name string, args []string, io *cmdIO, all *bool) (*commonFlags, *app, *store.Tenant, *store.User, []string, error) {
	c := newFlags(name, io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	email := c.fs.String("email", "", "the user's email (required)")
	if all != nil {
		c.fs.BoolVar(all, "all", false, "revoke every active session of the user")
	}
	pos, err := c.parse(args)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	u, err := a.store.UserByEmail(ctx, t.ID, strings.ToLower(strings.TrimSpace(*email)))
	if err != nil {
		a.Close()
		return nil, nil, nil, nil, nil, fmt.Errorf("%s: no user with email %q in tenant %s", name, *email, t.Slug)
	}
	return c, a, t, u, pos, nil
}

func cmdSessionList(ctx context.Context, args []string, io *cmdIO) error {
	c, a, t, u, pos, err := sessionUser(ctx, "session list", args, io, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := requireArgs("session list", pos, 0, "no positional arguments"); err != nil {
		return err
	}
	list, err := a.srv.Manage().ActiveSessions(ctx, t, u.ID)
	if err != nil {
		return err
	}
	out := make([]sessionOut, 0, len(list))
	var rows [][]string
	for _, si := range list {
		o := sessionOut{ID: si.Session.ID, Device: si.Device, IP: si.Session.IP, CreatedAt: si.Session.CreatedAt,
			LastSeen: si.Session.LastSeenAt, ExpiresAt: si.Session.ExpiresAt, Apps: []string{}}
		for _, app := range si.Apps {
			o.Apps = append(o.Apps, app.ClientID)
		}
		out = append(out, o)
		rows = append(rows, []string{o.ID, o.Device, o.IP, o.CreatedAt.UTC().Format(time.RFC3339),
			o.LastSeen.UTC().Format(time.RFC3339), strings.Join(o.Apps, ",")})
	}
	if len(list) == 0 {
		return emit(c, io, out, fmt.Sprintf("%s has no active session\n", u.Email))
	}
	return emit(c, io, out, table([]string{"SESSION", "DEVICE", "IP", "SIGNED IN (UTC)", "LAST SEEN (UTC)", "APPS"}, rows))
}

func cmdSessionRevoke(ctx context.Context, args []string, io *cmdIO) error {
	var all bool
	c, a, t, u, pos, err := sessionUser(ctx, "session revoke", args, io, &all)
	if err != nil {
		return err
	}
	defer a.Close()
	id := ""
	switch {
	case all && len(pos) == 0:
	case !all && len(pos) == 1:
		id = pos[0]
	default:
		return errors.New("session revoke: give one SESSION_ID or --all")
	}
	n, err := a.srv.Manage().RevokeSessions(ctx, t, u.ID, id)
	if err != nil {
		return err
	}
	return emit(c, io, map[string]any{"email": u.Email, "revoked": n},
		fmt.Sprintf("revoked %d session(s) of %s; their refresh tokens are revoked and their apps notified\n", n, u.Email))
}

// passwordSettings: `tenant update` flags for passwords and brute force (the
// tenant's email sender name is --sender-name, from the second-factor area).
func passwordSettings(fs *flag.FlagSet) func(*store.TenantSettings, func(string) bool) []string {
	strength := fs.String("password-strength", "", "length-only, fair, good or strong (default good)")
	minLen := fs.Int("password-min-length", 0, "minimum password length in characters (default 12)")
	minAge := fs.Int("password-min-age-days", 0, "days before a password may be changed again (default 0)")
	maxAge := fs.Int("password-max-age-days", 0, "days after which a password must be changed at sign-in (default 0: never)")
	hist := fs.Int("password-history", 0, fmt.Sprintf("previous passwords that cannot be reused (default %d, 0 = off)", store.DefaultPasswordHistory))
	noFactor := fs.Bool("password-reset-without-second-factor", false, "let users with a second factor reset by email link alone (default false)")
	maxFail := fs.Int("login-max-failures", 0, fmt.Sprintf("failed sign-ins that lock an account (default %d; a client address gets ten times as many)", store.DefaultLoginMaxFailures))
	window := fs.Int("login-window-minutes", 0, fmt.Sprintf("minutes without failures after which the count restarts (default %d)", store.DefaultLoginWindowMinutes))
	lock := fs.Int("login-lock-minutes", 0, fmt.Sprintf("minutes a lock lasts after the last failure (default %d)", store.DefaultLoginLockMinutes))
	return func(s *store.TenantSettings, set func(string) bool) []string {
		var p []string
		check := func(name string, v *int, min, max int, dst *int) {
			if !set(name) {
				return
			}
			if *v < min || *v > max {
				p = append(p, fmt.Sprintf("--%s must be between %d and %d but is %d", name, min, max, *v))
				return
			}
			*dst = *v
		}
		if set("password-strength") {
			if l, err := policy.ParseLevel(*strength); err != nil {
				p = append(p, fmt.Sprintf("--password-strength must be length-only, fair, good or strong but is %q", *strength))
			} else {
				s.PasswordStrength = string(l)
			}
		}
		check("password-min-length", minLen, policy.FloorMinLength, 128, &s.PasswordMinLength)
		check("password-min-age-days", minAge, 0, 365, &s.PasswordMinAgeDays)
		check("password-max-age-days", maxAge, 0, 3650, &s.PasswordMaxAgeDays)
		if set("password-history") {
			if *hist < 0 || *hist > policy.CeilingHistoryCount {
				p = append(p, fmt.Sprintf("--password-history must be between 0 and %d but is %d", policy.CeilingHistoryCount, *hist))
			} else {
				h := *hist
				s.PasswordHistory = &h
			}
		}
		if set("password-reset-without-second-factor") {
			s.PasswordResetWithoutSecondFactor = *noFactor
		}
		check("login-max-failures", maxFail, 3, 100, &s.LoginMaxFailures)
		check("login-window-minutes", window, 1, 24*60, &s.LoginWindowMinutes)
		check("login-lock-minutes", lock, 1, 24*60, &s.LoginLockMinutes)
		if err := manage.PasswordPolicy(*s).Validate(); err != nil {
			p = append(p, strings.Split(err.Error(), "\n")...)
		}
		return p
	}
}

// policyEffectiveSettings adds the access-policy settings to `tenant show`.
func policyEffectiveSettings(m map[string]any, s store.TenantSettings) {
	pol := manage.PasswordPolicy(s)
	m["password_strength"] = string(pol.Strength)
	m["password_min_length"] = pol.MinLength
	m["password_min_age_days"] = pol.MinAgeDays
	m["password_max_age_days"] = pol.MaxAgeDays
	m["password_history"] = pol.HistoryCount
	m["password_reset_without_second_factor"] = s.PasswordResetWithoutSecondFactor
	m["login_max_failures"] = s.LoginFailureLimit()
	m["login_window_minutes"] = int(s.LoginWindow().Minutes())
	m["login_lock_minutes"] = int(s.LoginLock().Minutes())
	m["ip_allowlist_signin_entries"] = len(s.IPAllowlistSignin)
	m["ip_allowlist_api_entries"] = len(s.IPAllowlistAPI)
}

// gatehouse user devices list|block|unblock|forget --tenant SLUG --email EMAIL
// [--device ID | --location KEY]: the device and location centre for admins.
func cmdUserDevices(ctx context.Context, args []string, io *cmdIO) error {
	return sub(ctx, "user devices", args, io, map[string]func(context.Context, []string, *cmdIO) error{
		"list":    cmdUserDevicesList,
		"block":   func(ctx context.Context, a []string, io *cmdIO) error { return userDeviceChange(ctx, "block", a, io) },
		"unblock": func(ctx context.Context, a []string, io *cmdIO) error { return userDeviceChange(ctx, "unblock", a, io) },
		"forget":  func(ctx context.Context, a []string, io *cmdIO) error { return userDeviceChange(ctx, "forget", a, io) },
	})
}

type deviceOut struct {
	Kind      string     `json:"kind"`
	ID        string     `json:"id"`
	Label     string     `json:"label"`
	IP        string     `json:"ip,omitempty"`
	FirstSeen time.Time  `json:"first_seen"`
	LastSeen  time.Time  `json:"last_seen"`
	BlockedAt *time.Time `json:"blocked_at,omitempty"`
}

func cmdUserDevicesList(ctx context.Context, args []string, io *cmdIO) error {
	c, a, t, u, pos, err := sessionUser(ctx, "user devices list", args, io, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := requireArgs("user devices list", pos, 0, "no positional arguments"); err != nil {
		return err
	}
	list, err := a.srv.Manage().UserDevices(ctx, t, u.ID, nil)
	if err != nil {
		return err
	}
	out := make([]deviceOut, 0, len(list))
	if len(list) == 0 {
		return emit(c, io, out, fmt.Sprintf("%s has no known device or location\n", u.Email))
	}
	var rows [][]string
	for _, v := range list {
		o := deviceOut{Kind: v.Kind, ID: v.ID, Label: v.Label, IP: v.IP, FirstSeen: v.FirstSeen, LastSeen: v.LastSeen}
		state := ""
		if v.Blocked {
			at := v.BlockedAt
			o.BlockedAt = &at
			state = "BLOCKED"
		}
		out = append(out, o)
		rows = append(rows, []string{v.Kind, v.ID, v.Label, v.LastSeen.UTC().Format(time.RFC3339), state})
	}
	return emit(c, io, out, table([]string{"KIND", "ID", "LABEL", "LAST SEEN (UTC)", "STATE"}, rows))
}

func userDeviceChange(ctx context.Context, action string, args []string, io *cmdIO) error {
	name := "user devices " + action
	var dev, loc string
	c := newFlags(name, io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	email := c.fs.String("email", "", "the user's email (required)")
	c.fs.StringVar(&dev, "device", "", "device id (from `user devices list`)")
	c.fs.StringVar(&loc, "location", "", "location key (from `user devices list`)")
	if _, err := c.parse(args); err != nil {
		return err
	}
	if (dev == "") == (loc == "") {
		return fmt.Errorf("%s: give exactly one of --device or --location", name)
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.store.UserByEmail(ctx, t.ID, strings.ToLower(strings.TrimSpace(*email)))
	if err != nil {
		return fmt.Errorf("%s: no user with email %q in tenant %s", name, *email, t.Slug)
	}
	kind, id := "device", dev
	if loc != "" {
		kind, id = "location", loc
	}
	if err := a.srv.Manage().ChangeDevice(ctx, t, u.ID, kind, id, action, nil, "cli"); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return emit(c, io, map[string]string{"email": u.Email, "kind": kind, "id": id, "action": action},
		fmt.Sprintf("%s %s of %s: %s done\n", kind, id, u.Email, action))
}
