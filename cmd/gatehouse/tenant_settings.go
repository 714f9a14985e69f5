package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// settingArea adds one policy area's flags to `tenant update`. It returns an
// apply function that changes only the settings whose flags were given
// (set reports that) and returns every problem with their values.
type settingArea func(fs *flag.FlagSet) (apply func(s *store.TenantSettings, set func(name string) bool) []string)

// tenantSettingAreas are the areas `tenant update` offers, in help order.
var tenantSettingAreas = []settingArea{sessionSettings,
	mfaSettings,      // second factors (mfa_cmds.go)
	passwordSettings, // passwords, brute force (policy_cmds.go)
	auditSettings,    // audit log retention (audit_cmds.go)
}

// sessionSettings: SSO session and token lifetimes.
func sessionSettings(fs *flag.FlagSet) func(*store.TenantSettings, func(string) bool) []string {
	idle := fs.Int("session-idle-minutes", 0, fmt.Sprintf("end SSO sessions after this many minutes without activity (default %d)", store.DefaultSessionIdleMinutes))
	life := fs.Int("session-lifetime-hours", 0, fmt.Sprintf("end SSO sessions this many hours after sign-in (default %d)", store.DefaultSessionLifetimeHours))
	at := fs.Int("access-token-minutes", 0, fmt.Sprintf("access token lifetime (default %d)", store.DefaultAccessTokenMinutes))
	it := fs.Int("id-token-minutes", 0, fmt.Sprintf("ID token lifetime (default %d)", store.DefaultIDTokenMinutes))
	rt := fs.Int("refresh-token-days", 0, fmt.Sprintf("refresh token family lifetime (default %d)", store.DefaultRefreshTokenDays))
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
		check("session-idle-minutes", idle, 1, 7*24*60, &s.SessionIdleMinutes)
		check("session-lifetime-hours", life, 1, 90*24, &s.SessionLifetimeHours)
		check("access-token-minutes", at, 1, 60, &s.AccessTokenMinutes)
		check("id-token-minutes", it, 1, 60, &s.IDTokenMinutes)
		check("refresh-token-days", rt, 1, 365, &s.RefreshTokenDays)
		if set("session-idle-minutes") || set("session-lifetime-hours") {
			if s.SessionIdle() > s.SessionLifetime() {
				p = append(p, "the session idle timeout must not be longer than the session lifetime")
			}
		}
		return p
	}
}

// tenantView is `tenant show --json`: the tenant and its effective settings.
type tenantView struct {
	tenantOut
	Settings map[string]any `json:"settings"`
}

func viewTenant(a *app, t *store.Tenant) tenantView {
	s := t.Settings
	return tenantView{
		tenantOut: tenantOut{t.ID, t.Slug, t.Name, a.cfg.PublicURL + "/t/" + t.Slug, t.CreatedAt},
		Settings:  effectiveSettings(s),
	}
}

// effectiveSettings lists every setting with its default applied.
func effectiveSettings(s store.TenantSettings) map[string]any {
	m := map[string]any{
		"session_idle_minutes":   int(s.SessionIdle().Minutes()),
		"session_lifetime_hours": int(s.SessionLifetime().Hours()),
		"access_token_minutes":   int(s.AccessTokenLifetime().Minutes()),
		"id_token_minutes":       int(s.IDTokenLifetime().Minutes()),
		"refresh_token_days":     int(s.RefreshTokenLifetime().Hours() / 24),
		"mfa":                    mfaEffective(s)["mfa"],
		"mfa_methods":            mfaEffective(s)["mfa_methods"],
		"remember_device_days":   mfaEffective(s)["remember_device_days"],
		"sender_name":            mfaEffective(s)["sender_name"],
		"sms_provider":           mfaEffective(s)["sms_provider"],
		"audit_retention_days":   int(s.AuditRetention().Hours() / 24),
	}
	policyEffectiveSettings(m, s) // policy_cmds.go
	return m
}

func humanSettings(v tenantView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tenant %s (%s)\nissuer: %s\n", v.Slug, v.Name, v.Issuer)
	keys := make([]string, 0, len(v.Settings))
	for k := range v.Settings {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-28s %v\n", k, v.Settings[k])
	}
	return b.String()
}

func cmdTenantShow(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("tenant show", io, true, "public_url")
	pos, err := c.parse(args)
	if err != nil {
		return err
	}
	if err := requireArgs("tenant show", pos, 1, "SLUG"); err != nil {
		return err
	}
	a, t, err := openTenant(ctx, c, io, pos[0])
	if err != nil {
		return err
	}
	defer a.Close()
	v := viewTenant(a, t)
	return emit(c, io, v, humanSettings(v))
}

func cmdTenantUpdate(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("tenant update", io, true, "public_url")
	name := c.fs.String("name", "", "new display name")
	var applies []func(*store.TenantSettings, func(string) bool) []string
	for _, area := range tenantSettingAreas {
		applies = append(applies, area(c.fs))
	}
	pos, err := c.parse(args)
	if err != nil {
		return err
	}
	if err := requireArgs("tenant update", pos, 1, "SLUG"); err != nil {
		return err
	}
	given := map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	a, t, err := openTenant(ctx, c, io, pos[0])
	if err != nil {
		return err
	}
	defer a.Close()
	var problems []string
	if given["name"] {
		if n := strings.TrimSpace(*name); n == "" || len(n) > 200 {
			problems = append(problems, "--name must be 1 to 200 characters")
		} else {
			t.Name = n
		}
	}
	settings := t.Settings
	for _, apply := range applies {
		problems = append(problems, apply(&settings, func(n string) bool { return given[n] })...)
	}
	if len(problems) > 0 {
		return fmt.Errorf("tenant update: %s", strings.Join(problems, "; "))
	}
	t.Settings = settings
	if err := a.srv.Manage().UpdateTenant(ctx, t); err != nil {
		return err
	}
	v := viewTenant(a, t)
	return emit(c, io, v, humanSettings(v))
}
