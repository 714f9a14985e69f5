package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// cli runs one gatehouse command line in-process.
func cli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func setupEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	t.Setenv("GATEHOUSE_DATABASE_URL", filepath.Join(dir, "g.db"))
	t.Setenv("GATEHOUSE_MASTER_KEY", base64.StdEncoding.EncodeToString(key))
	t.Setenv("GATEHOUSE_PUBLIC_URL", "https://id.example.test")
	t.Setenv("GATEHOUSE_LOG_LEVEL", "error")
	return dir
}

func TestCLIManagesTenantsClientsUsersKeys(t *testing.T) {
	setupEnv(t)
	code, out, errs := cli(t, "", "tenant", "create", "acme", "--name", "Acme Support", "--json")
	if code != 0 {
		t.Fatalf("tenant create: %d %s", code, errs)
	}
	var tenant map[string]any
	if err := json.Unmarshal([]byte(out), &tenant); err != nil || tenant["issuer"] != "https://id.example.test/t/acme" {
		t.Fatalf("tenant create JSON: %v %s", err, out)
	}
	if code, _, errs := cli(t, "", "tenant", "create", "acme", "--name", "Again"); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("duplicate tenant: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "", "tenant", "create", "Bad_Slug", "--name", "X"); code != 1 || !strings.Contains(errs, "slug") {
		t.Fatalf("bad slug: %d %s", code, errs)
	}

	// Confidential web client: secret shown once.
	code, out, errs = cli(t, "", "client", "create", "--tenant", "acme", "--name", "Helpdesk",
		"--redirect-uri", "https://helpdesk.acme.test/cb", "--json")
	if code != 0 {
		t.Fatalf("client create: %s", errs)
	}
	var cl map[string]any
	_ = json.Unmarshal([]byte(out), &cl)
	if cl["client_id"] == "" || len(fmt.Sprint(cl["client_secret"])) < 40 {
		t.Fatalf("client JSON: %s", out)
	}
	grants, _ := cl["grant_types"].([]any)
	if len(grants) != 2 {
		t.Fatalf("default grants: %v", cl["grant_types"])
	}
	// The secret is not shown again.
	_, out, _ = cli(t, "", "client", "list", "--tenant", "acme", "--json")
	if strings.Contains(out, fmt.Sprint(cl["client_secret"])) || strings.Contains(out, "client_secret") {
		t.Fatal("client list shows the secret")
	}
	// Public client: no secret.
	_, out, _ = cli(t, "", "client", "create", "--tenant", "acme", "--name", "Desktop", "--public", "--redirect-uri", "http://127.0.0.1/cb", "--json")
	if strings.Contains(out, "client_secret") {
		t.Fatalf("public client got a secret: %s", out)
	}

	// Validation: each problem named, nothing created.
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"--name", "X"}, "needs at least one --redirect-uri"},
		{[]string{"--name", "X", "--grant", "client_credentials", "--redirect-uri", "https://a.test/cb"}, "client_credentials-only"},
		{[]string{"--name", "X", "--redirect-uri", "https://a.test/*"}, "wildcards"},
		{[]string{"--name", "X", "--redirect-uri", "http://a.test/cb"}, "loopback"},
		{[]string{"--name", "X", "--redirect-uri", "https://a.test/cb#f"}, "fragment"},
		{[]string{"--name", "X", "--grant", "password", "--redirect-uri", "https://a.test/cb"}, `grant "password"`},
		{[]string{"--name", "X", "--public", "--grant", "client_credentials"}, "public client cannot use client_credentials"},
		{[]string{"--name", "X", "--grant", "refresh_token"}, "refresh_token grant needs authorization_code"},
	}
	for _, b := range bad {
		args := append([]string{"client", "create", "--tenant", "acme"}, b.args...)
		code, _, errs := cli(t, "", args...)
		if code != 1 || !strings.Contains(errs, b.want) {
			t.Errorf("%v: exit %d, stderr %q, want it to mention %q", b.args, code, errs, b.want)
		}
	}
	_, out, _ = cli(t, "", "client", "list", "--tenant", "acme", "--json")
	var list []any
	_ = json.Unmarshal([]byte(out), &list)
	if len(list) != 2 {
		t.Fatalf("refused clients were stored: %d clients", len(list))
	}
	// Machine client.
	if code, _, errs := cli(t, "", "client", "create", "--tenant", "acme", "--name", "Sync", "--grant", "client_credentials"); code != 0 {
		t.Fatalf("machine client: %s", errs)
	}

	// Users.
	code, out, errs = cli(t, "Correct-Horse-Battery-Staple-42\n", "user", "create", "--tenant", "acme", "--email", "Alice@Acme.test",
		"--name", "Alice", "--role", "owner", "--password-stdin", "--json")
	if code != 0 || !strings.Contains(out, `"email": "alice@acme.test"`) || !strings.Contains(out, `"has_password": true`) {
		t.Fatalf("user create: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, "password\n", "user", "create", "--tenant", "acme", "--email", "bob@acme.test", "--password-stdin"); code != 1 || !strings.Contains(errs, "password") {
		t.Fatalf("weak password accepted: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "", "user", "create", "--tenant", "acme", "--email", "not-an-email", "--role", "god"); code != 1 ||
		!strings.Contains(errs, "email") || !strings.Contains(errs, "role") {
		t.Fatalf("bad user input not all reported: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "", "user", "create", "--tenant", "nope", "--email", "a@b.test"); code != 1 || !strings.Contains(errs, "no tenant") {
		t.Fatalf("unknown tenant: %d %s", code, errs)
	}

	// Keys.
	code, out, errs = cli(t, "", "keys", "rotate", "--tenant", "acme", "--json")
	if code != 0 || !strings.Contains(out, `"kid"`) {
		t.Fatalf("keys rotate: %d %s %s", code, out, errs)
	}
	// Migrate is idempotent.
	if code, _, errs := cli(t, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errs)
	}
	// Usage errors.
	if code, _, _ := cli(t, "", "frobnicate"); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
}

func TestConfigProblemsReported(t *testing.T) {
	setupEnv(t)
	t.Setenv("GATEHOUSE_PUBLIC_URL", "http://id.example.test")
	t.Setenv("GATEHOUSE_LISTEN", "nonsense")
	code, _, errs := cli(t, "", "tenant", "list")
	if code != 1 || !strings.Contains(errs, "public_url") || !strings.Contains(errs, "listen") {
		t.Fatalf("config problems not all reported: %d %s", code, errs)
	}
}

// syncBuffer is a concurrency-safe writer for the server's stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// linkWatcher is the server's stderr: when the setup link appears it dials
// the listen address at once, inside Write, before the server's next step.
type linkWatcher struct {
	syncBuffer
	mu      sync.Mutex // the server writes from several goroutines
	re      *regexp.Regexp
	addr    string
	seen    chan struct{}
	link    string
	conn    net.Conn
	dialErr error
}

func (l *linkWatcher) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.syncBuffer.Write(p)
	if l.link == "" {
		if m := l.re.FindString(l.syncBuffer.String()); m != "" {
			l.link = m
			l.conn, l.dialErr = net.Dial("tcp", l.addr)
			close(l.seen)
		}
	}
	return n, err
}

// TestServeDevFirstOwner: `serve --dev` creates the default tenant and prints a
// one-time link that lets the first owner set a password.
func TestServeDevFirstOwner(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	t.Setenv("GATEHOUSE_LISTEN", addr)
	t.Setenv("GATEHOUSE_LOG_LEVEL", "error")
	ctx, cancel := context.WithCancel(context.Background())
	// The moment the link is written, the writer connects (no retry, no
	// wait): a person clicking the link at once must reach the server.
	errb := &linkWatcher{re: regexp.MustCompile(`http://\S+/t/default/setup\?token=\S+`), addr: addr, seen: make(chan struct{})}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--dev"}, strings.NewReader(""), io.Discard, errb) }()
	defer func() {
		cancel()
		<-done
	}()
	select {
	case <-errb.seen:
	case code := <-done:
		done <- code
		t.Fatalf("serve exited (%d) before printing a setup link:\n%s", code, errb.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("no setup link printed:\n%s", errb.String())
	}
	link := errb.link
	if errb.dialErr != nil {
		t.Fatalf("connecting the moment the link was printed: %v", errb.dialErr)
	}
	// The connection made at that moment is served.
	defer errb.conn.Close()
	if _, err := fmt.Fprintf(errb.conn, "GET /t/default/.well-known/openid-configuration HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", addr); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(errb.conn), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("discovery over the first connection: %v", err)
	}
	resp.Body.Close()
	u, _ := url.Parse(link)
	form := url.Values{"token": {u.Query().Get("token")}, "email": {"owner@example.test"}, "name": {"Olga Owner"}, "password": {"Owner-Passphrase-Long-77"}}
	post := func() (int, string) {
		req, _ := http.NewRequest("POST", "http://"+addr+"/t/default/setup", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := post(); st != 200 || !strings.Contains(body, "Owner account created") {
		t.Fatalf("setup: %d %.300s", st, body)
	}
	if st, body := post(); st != 400 || !strings.Contains(body, "already used") {
		t.Fatalf("setup link reused: %d %.300s", st, body)
	}
	// In dev mode the root page shows a newcomer the default tenant.
	if resp, err := http.Get("http://" + addr + "/"); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), "http://"+addr+"/t/default/.well-known/openid-configuration") || !strings.Contains(string(b), "/t/default/account") {
			t.Fatalf("dev root page: %d %.800s", resp.StatusCode, b)
		}
	}
	// The data directory holds the database and the generated master key.
	for _, f := range []string{"data/gatehouse.db", "data/master.key"} {
		if _, err := filepath.Glob(filepath.Join(dir, f)); err != nil {
			t.Fatalf("%s missing", f)
		}
	}
}

// TestHelpEverywhere: -h, --help and help answer on standard output with
// exit 0 at every level — the top, each group, nested groups and each
// command; a group alone lists its subcommands on standard error (exit 2);
// --version prints the build.
func TestHelpEverywhere(t *testing.T) {
	setupEnv(t)
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"session", "-h"}, {"ip-allowlist", "--help"},
		{"user", "devices", "-h"}, {"audit", "help"}, {"tenant", "create", "-h"}, {"audit", "export", "--help"}} {
		code, out, errs := cli(t, "", args...)
		if code != 0 || out == "" || errs != "" {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q", args, code, len(out), errs)
		}
	}
	code, out, errs := cli(t, "", "session", "-h")
	if !strings.Contains(out, "list ") || !strings.Contains(out, "revoke ") || !strings.Contains(out, "end one or all") {
		t.Fatalf("session -h: %s", out)
	}
	code, out, errs = cli(t, "", "connection")
	if code != 2 || out != "" || !strings.Contains(errs, "missing subcommand") || !strings.Contains(errs, "disable") {
		t.Fatalf("a group alone: %d %q %q", code, out, errs)
	}
	if code, _, errs := cli(t, "", "tenant", "frobnicate"); code != 2 || !strings.Contains(errs, `unknown subcommand "frobnicate"`) || !strings.Contains(errs, "create") {
		t.Fatalf("unknown subcommand: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "", "tenant", "create", "--bogus"); code != 2 || !strings.Contains(errs, "bogus") {
		t.Fatalf("bad flag: %d %s", code, errs)
	}
	if code, out, _ := cli(t, "", "--version"); code != 0 || !strings.HasPrefix(out, "gatehouse ") || !strings.Contains(out, "go1.") {
		t.Fatalf("--version: %d %q", code, out)
	}
}

// TestCLIQuietAboutServerMatters: with an IP address as public URL (dev),
// passkeys are off — a server's concern, not printed by a CLI command.
func TestCLIQuietAboutServerMatters(t *testing.T) {
	setupEnv(t)
	t.Setenv("GATEHOUSE_PUBLIC_URL", "http://127.0.0.1:8080")
	t.Setenv("GATEHOUSE_ALLOW_INSECURE_HTTP", "true")
	t.Setenv("GATEHOUSE_LOG_LEVEL", "info")
	code, _, errs := cli(t, "", "tenant", "create", "acme", "--name", "Acme")
	if code != 0 || strings.Contains(errs, "passkeys") {
		t.Fatalf("tenant create: %d %q", code, errs)
	}
}

// TestCLIListsAndNextSteps: client create names the issuer, the discovery
// URL and the next step; list commands print a header row; --json has []
// where a list is empty, never null.
func TestCLIListsAndNextSteps(t *testing.T) {
	setupEnv(t)
	if code, _, errs := cli(t, "", "tenant", "create", "acme", "--name", "Acme"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := cli(t, "", "client", "create", "--tenant", "acme", "--name", "Desk", "--redirect-uri", "https://desk.acme.test/cb")
	if code != 0 || !strings.Contains(out, "discovery:     https://id.example.test/t/acme/.well-known/openid-configuration") ||
		!strings.Contains(out, "Next: configure the app") {
		t.Fatalf("client create: %d %s %s", code, out, errs)
	}
	_, out, _ = cli(t, "", "client", "create", "--tenant", "acme", "--name", "Bot", "--grant", "client_credentials", "--json")
	if strings.Contains(out, "null") || !strings.Contains(out, `"redirect_uris": []`) || !strings.Contains(out, `"discovery"`) {
		t.Fatalf("client create --json: %s", out)
	}
	for _, args := range [][]string{{"tenant", "list"}, {"client", "list", "--tenant", "acme"}, {"user", "list", "--tenant", "acme"}} {
		if _, out, _ := cli(t, "", args...); !strings.HasPrefix(out, strings.ToUpper(strings.Fields(out)[0])) || strings.Fields(out)[0] != strings.ToUpper(strings.Fields(out)[0]) {
			t.Errorf("%v: no header row:\n%s", args, out)
		}
	}
	if _, out, _ := cli(t, "", "client", "list", "--tenant", "acme", "--json"); strings.Contains(out, "null") {
		t.Fatalf("client list --json has null:\n%s", out)
	}
}

// TestCLISetupLink: tenant setup-link prints a one-time link while the
// tenant has no owner, and refuses once it has one.
func TestCLISetupLink(t *testing.T) {
	setupEnv(t)
	if code, _, errs := cli(t, "", "tenant", "create", "acme", "--name", "Acme"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := cli(t, "", "tenant", "setup-link", "acme")
	if code != 0 || !strings.Contains(out, "https://id.example.test/t/acme/setup?token=") {
		t.Fatalf("setup-link: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, "", "user", "create", "--tenant", "acme", "--email", "o@acme.test", "--role", "owner"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := cli(t, "", "tenant", "setup-link", "acme"); code != 1 || !strings.Contains(errs, "has an owner already") {
		t.Fatalf("setup-link with an owner: %d %s", code, errs)
	}
}
