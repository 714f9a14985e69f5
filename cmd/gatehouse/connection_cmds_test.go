package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const upstreamSecret = "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2"

func TestCLIConnections(t *testing.T) {
	dir := setupEnv(t)
	if code, _, errs := cli(t, "", "tenant", "create", "acme", "--name", "Acme Support"); code != 0 {
		t.Fatalf("tenant create: %s", errs)
	}

	// Google with a hosted domain; the secret comes from stdin.
	code, out, errs := cli(t, upstreamSecret+"\n", "connection", "add", "google", "--tenant", "acme",
		"--client-id", "123.apps.googleusercontent.com", "--client-secret-stdin", "--hosted-domain", "acme.test",
		"--jit", "--json")
	if code != 0 {
		t.Fatalf("connection add google: %d %s", code, errs)
	}
	var g map[string]any
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatalf("JSON: %v %s", err, out)
	}
	gid, _ := g["id"].(string)
	if g["kind"] != "google" || g["name"] != "Google" || g["enabled"] != true || g["jit"] != true ||
		g["link_mode"] != "none" || g["default_role"] != "agent" ||
		g["redirect_uri"] != "https://id.example.test/t/acme/login/federated/"+gid+"/callback" {
		t.Fatalf("google connection: %s", out)
	}
	if strings.Contains(out+errs, upstreamSecret) || strings.Contains(out, "client_secret") {
		t.Fatal("the secret was printed")
	}

	// Entra, multi-tenant with an allowlist.
	code, out, errs = cli(t, upstreamSecret+"\n", "connection", "add", "microsoft", "--tenant", "acme",
		"--client-id", "app-guid", "--client-secret-stdin", "--entra-tenant", "organizations",
		"--allowed-tenant-id", "72f988bf-86f1-41af-91ab-2d7cd011db47", "--link-mode", "verified_email_with_proof")
	if code != 0 || !strings.Contains(out, `"Office 365"`) || !strings.Contains(out, "redirect URI: https://id.example.test/t/acme/login/federated/") {
		t.Fatalf("connection add microsoft: %d %s %s", code, out, errs)
	}

	// Every problem at once, nothing stored.
	code, _, errs = cli(t, "", "connection", "add", "microsoft", "--tenant", "acme", "--entra-tenant", "common",
		"--hosted-domain", "acme.test", "--link-mode", "auto_verified_email", "--default-role", "owner")
	for _, want := range []string{"client_id' (--client-id) must be set", "client_secret' (--client-secret-stdin) must be set",
		"allowed_tenant_ids' (--allowed-tenant-id)", "--hosted-domain is not an option of microsoft",
		"auto_verified_email' is not offered", "must not be 'owner'"} {
		if code != 1 || !strings.Contains(errs, want) {
			t.Fatalf("invalid add: want %q in: %d %s", want, code, errs)
		}
	}
	if code, _, errs := cli(t, "s\n", "connection", "add", "oidc", "--tenant", "acme", "--client-id", "x",
		"--client-secret-stdin", "--issuer", "http://idp.example.com"); code != 1 || !strings.Contains(errs, "must use https") {
		t.Fatalf("http issuer: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "", "connection", "add", "saml", "--tenant", "acme"); code != 1 || !strings.Contains(errs, "google, microsoft or oidc") {
		t.Fatalf("unknown kind: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "", "connection", "add", "google", "--tenant", "acme", "--client-secret-stdin"); code != 1 || !strings.Contains(errs, "no secret on standard input") {
		t.Fatalf("empty stdin: %d %s", code, errs)
	}

	// List.
	code, out, _ = cli(t, "", "connection", "list", "--tenant", "acme", "--json")
	var list struct {
		Connections []map[string]any `json:"connections"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Connections) != 2 {
		t.Fatalf("list: %d %s", code, out)
	}

	// Update: rename, turn JIT off, new secret; a bad change changes nothing.
	code, out, errs = cli(t, "another-secret\n", "connection", "update", gid, "--tenant", "acme", "--name", "Google Workspace",
		"--no-jit", "--client-secret-stdin", "--json")
	if code != 0 || !strings.Contains(out, `"name": "Google Workspace"`) || !strings.Contains(out, `"jit": false`) {
		t.Fatalf("update: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, "", "connection", "update", gid, "--tenant", "acme", "--hosted-domain", "not a domain",
		"--link-mode", "sometimes"); code != 1 || !strings.Contains(errs, "not a domain") || !strings.Contains(errs, "sometimes") {
		t.Fatalf("bad update: %d %s", code, errs)
	}
	_, out, _ = cli(t, "", "connection", "list", "--tenant", "acme")
	if !strings.Contains(out, "Google Workspace") || strings.Contains(out, "sometimes") {
		t.Fatalf("after a refused update: %s", out)
	}

	// Disable / enable / remove.
	if code, out, errs := cli(t, "", "connection", "disable", gid, "--tenant", "acme", "--end-sessions", "--json"); code != 0 ||
		!strings.Contains(out, `"enabled": false`) || !strings.Contains(out, `"sessions_ended": 0`) {
		t.Fatalf("disable: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli(t, "", "connection", "enable", gid, "--tenant", "acme"); code != 0 || !strings.Contains(out, "enabled connection") {
		t.Fatalf("enable: %d %s", code, out)
	}
	if code, _, errs := cli(t, "", "connection", "remove", "nope", "--tenant", "acme"); code != 1 || !strings.Contains(errs, `no connection "nope"`) {
		t.Fatalf("remove unknown: %d %s", code, errs)
	}
	if code, out, errs := cli(t, "", "connection", "remove", gid, "--tenant", "acme"); code != 0 || !strings.Contains(out, "removed connection") {
		t.Fatalf("remove: %d %s %s", code, out, errs)
	}
	_, out, _ = cli(t, "", "connection", "list", "--tenant", "acme", "--json")
	if strings.Contains(out, gid) {
		t.Fatal("removed connection still listed")
	}

	// Sealed at rest: the plaintext secret is nowhere in the database files.
	files, _ := filepath.Glob(filepath.Join(dir, "g.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), upstreamSecret) || strings.Contains(string(b), "another-secret") {
			t.Fatalf("%s holds the client secret in clear", f)
		}
	}
}
