package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCLIIPAllowlist: add, list, remove; the --my-ip lockout check and
// --force; bad input changes nothing.
func TestCLIIPAllowlist(t *testing.T) {
	setupEnv(t)
	if code, _, errs := cli(t, "", "tenant", "create", "acme", "--name", "Acme"); code != 0 {
		t.Fatal(errs)
	}
	if code, out, _ := cli(t, "", "ip-allowlist", "list", "--tenant", "acme", "--scope", "signin"); code != 0 || !strings.Contains(out, "empty") {
		t.Fatalf("empty list: %d %s", code, out)
	}
	code, _, errs := cli(t, "", "ip-allowlist", "add", "--tenant", "acme", "--scope", "signin", "10.0.0.0/8", "--note", "VPN", "--my-ip", "192.0.2.7")
	if code != 1 || !strings.Contains(errs, "192.0.2.7") || !strings.Contains(errs, "add your current address first") {
		t.Fatalf("lockout not refused: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "", "ip-allowlist", "add", "--tenant", "acme", "--scope", "signin", "192.0.2.0/24", "--note", "HQ", "--my-ip", "192.0.2.7"); code != 0 {
		t.Fatalf("add own range: %s", errs)
	}
	if code, _, errs := cli(t, "", "ip-allowlist", "add", "--tenant", "acme", "--scope", "signin", "10.1.2.3/8", "--note", "VPN", "--force"); code != 0 {
		t.Fatalf("add with --force: %s", errs)
	}
	code, out, _ := cli(t, "", "ip-allowlist", "list", "--tenant", "acme", "--scope", "signin", "--json")
	var v struct {
		Scope   string `json:"scope"`
		Entries []struct{ CIDR, Note string }
	}
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || len(v.Entries) != 2 || v.Entries[1].CIDR != "10.0.0.0/8" || v.Entries[0].Note != "HQ" {
		t.Fatalf("list: %d %s", code, out)
	}
	for _, bad := range [][]string{
		{"add", "--scope", "signin", "10.0.0.300", "--note", "x"},
		{"add", "--scope", "signin", "172.16.0.0/12"},
		{"add", "--scope", "admin", "172.16.0.0/12", "--note", "x"},
		{"remove", "--scope", "signin", "172.16.0.0/12"},
	} {
		args := append([]string{"ip-allowlist", bad[0], "--tenant", "acme"}, bad[1:]...)
		if code, _, errs := cli(t, "", args...); code == 0 || errs == "" {
			t.Fatalf("%v accepted", bad)
		}
	}
	if code, _, errs := cli(t, "", "ip-allowlist", "remove", "--tenant", "acme", "--scope", "signin", "10.0.0.0/8"); code != 0 {
		t.Fatalf("remove: %s", errs)
	}
	if _, out, _ := cli(t, "", "ip-allowlist", "list", "--tenant", "acme", "--scope", "signin"); strings.Contains(out, "10.0.0.0/8") || !strings.Contains(out, "192.0.2.0/24") {
		t.Fatalf("after remove: %s", out)
	}
	if _, out, _ := cli(t, "", "ip-allowlist", "list", "--tenant", "acme", "--scope", "api"); !strings.Contains(out, "empty") {
		t.Fatalf("api list affected: %s", out)
	}
}

// TestCLIPolicySettingsUnlockSessions: tenant update/show for the password
// and brute-force settings, user unlock and session commands.
func TestCLIPolicySettingsUnlockSessions(t *testing.T) {
	setupEnv(t)
	cli(t, "", "tenant", "create", "acme", "--name", "Acme")
	code, out, errs := cli(t, "", "tenant", "update", "acme", "--password-strength", "strong", "--password-min-length", "16",
		"--password-max-age-days", "90", "--password-history", "0", "--login-max-failures", "5", "--sender-name", "Acme IT", "--json")
	if code != 0 {
		t.Fatalf("tenant update: %s", errs)
	}
	var v struct{ Settings map[string]any }
	_ = json.Unmarshal([]byte(out), &v)
	s := v.Settings
	if s["password_strength"] != "strong" || s["password_min_length"] != float64(16) || s["password_max_age_days"] != float64(90) ||
		s["password_history"] != float64(0) || s["login_max_failures"] != float64(5) || s["login_lock_minutes"] != float64(15) || s["sender_name"] != "Acme IT" {
		t.Fatalf("settings: %v", s)
	}
	code, _, errs = cli(t, "", "tenant", "update", "acme", "--password-strength", "weak", "--password-min-length", "4", "--login-max-failures", "1")
	if code != 1 || !strings.Contains(errs, "--password-strength") || !strings.Contains(errs, "--password-min-length") || !strings.Contains(errs, "--login-max-failures") {
		t.Fatalf("bad settings: %d %s", code, errs)
	}
	// The tenant's policy applies to user create.
	if code, _, errs := cli(t, "Short-Pass-1234\n", "user", "create", "--tenant", "acme", "--email", "a@acme.test", "--password-stdin"); code != 1 || !strings.Contains(errs, "at least 16") {
		t.Fatalf("policy at user create: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "Quartz-Meadow-Tangerine-Harbor-19\n", "user", "create", "--tenant", "acme", "--email", "a@acme.test", "--password-stdin"); code != 0 {
		t.Fatal(errs)
	}
	if code, out, _ := cli(t, "", "user", "unlock", "--tenant", "acme", "--email", "a@acme.test"); code != 0 || !strings.Contains(out, "was not locked") {
		t.Fatalf("unlock: %d %s", code, out)
	}
	if code, _, errs := cli(t, "", "user", "unlock", "--tenant", "acme", "--email", "zz@acme.test"); code != 1 || !strings.Contains(errs, "no user") {
		t.Fatalf("unlock unknown: %d %s", code, errs)
	}
	if code, out, _ := cli(t, "", "session", "list", "--tenant", "acme", "--email", "a@acme.test"); code != 0 || !strings.Contains(out, "no active session") {
		t.Fatalf("session list: %d %s", code, out)
	}
	if code, _, errs := cli(t, "", "session", "revoke", "--tenant", "acme", "--email", "a@acme.test"); code != 1 || !strings.Contains(errs, "--all") {
		t.Fatalf("revoke without target: %d %s", code, errs)
	}
	if code, out, _ := cli(t, "", "session", "revoke", "--tenant", "acme", "--email", "a@acme.test", "--all"); code != 0 || !strings.Contains(out, "revoked 0") {
		t.Fatalf("revoke --all: %d %s", code, out)
	}
	if code, _, errs := cli(t, "", "session", "revoke", "--tenant", "acme", "--email", "a@acme.test", "nosuchsession"); code != 1 || !strings.Contains(errs, "no session") {
		t.Fatalf("revoke unknown: %d %s", code, errs)
	}
	// The device centre.
	if code, out, _ := cli(t, "", "user", "devices", "list", "--tenant", "acme", "--email", "a@acme.test"); code != 0 || !strings.Contains(out, "no known device") {
		t.Fatalf("user devices list: %d %s", code, out)
	}
	if code, _, errs := cli(t, "", "user", "devices", "unblock", "--tenant", "acme", "--email", "a@acme.test"); code != 1 || !strings.Contains(errs, "exactly one of --device or --location") {
		t.Fatalf("unblock without target: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "", "user", "devices", "unblock", "--tenant", "acme", "--email", "a@acme.test", "--device", "00ff"); code != 1 || !strings.Contains(errs, "not on your list") {
		t.Fatalf("unblock unknown device: %d %s", code, errs)
	}
	// Back-channel logout URI at client registration.
	if code, _, errs := cli(t, "", "client", "create", "--tenant", "acme", "--name", "Desk", "--redirect-uri", "https://desk.acme.test/cb",
		"--backchannel-logout-uri", "http://desk.acme.test/bcl"); code != 1 || !strings.Contains(errs, "https") {
		t.Fatalf("http back-channel URI: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "", "client", "create", "--tenant", "acme", "--name", "Desk", "--redirect-uri", "https://desk.acme.test/cb",
		"--backchannel-logout-uri", "https://desk.acme.test/bcl"); code != 0 {
		t.Fatalf("client with back-channel URI: %s", errs)
	}
}
