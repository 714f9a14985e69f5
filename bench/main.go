// Command bench is Gatehouse's load benchmark. It builds and starts
// `gatehouse serve` as its own process on a fresh PostgreSQL schema, creates
// a tenant, clients and a user with the CLI, then drives real HTTP with
// keep-alive at a fixed concurrency for each scenario and prints requests per
// second, p50/p99 latency and the server's resident memory.
//
//	go run ./bench [-c 32] [-d 10s] [-scenarios client_credentials,introspection,refresh,userinfo,login]
//	go run ./bench -audit 1000000 -scenarios none
//
// login is a whole sign-in per request (authorize, password, callback,
// code exchange) in a new browser each time. -audit N seeds N audit events
// into the tenant's chain and measures listing the log's first page and
// exporting all of it (audit.go).
//
// The load generator runs on the same machine, so its CPU counts against the
// numbers: they are what one box does end to end.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"
)

func main() {
	conc := flag.Int("c", 32, "concurrent workers")
	dur := flag.Duration("d", 10*time.Second, "duration of each scenario")
	scen := flag.String("scenarios", "client_credentials,introspection,refresh,userinfo", "comma-separated scenarios")
	auditN := flag.Int("audit", 0, "seed this many audit events and measure listing, export and verification")
	pgURL := flag.String("postgres", envOr("GATEHOUSE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "PostgreSQL server URL (a fresh schema is created and dropped)")
	flag.Parse()
	if err := run(*conc, *dur, strings.Split(*scen, ","), *pgURL, *auditN); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

type fixture struct {
	base, issuer     string
	ccID, ccSecret   string
	webID, webSecret string
	pid              int
	workers          int
	refresh, access  []string // per worker
	introspectTarget string
}

func run(conc int, dur time.Duration, scenarios []string, pgURL string, auditN int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "gatehouse-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// Fresh schema.
	var rb [6]byte
	_, _ = rand.Read(rb[:])
	schema := "bench_" + hex.EncodeToString(rb[:])
	admin, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return err
	}
	defer admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	u, _ := url.Parse(pgURL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	bin := filepath.Join(dir, "gatehouse")
	fmt.Println("building gatehouse ...")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/gatehouse").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	env := append(os.Environ(),
		"GATEHOUSE_DATABASE_URL="+u.String(), "GATEHOUSE_PUBLIC_URL="+base, "GATEHOUSE_LISTEN=127.0.0.1:"+fmt.Sprint(port),
		"GATEHOUSE_MASTER_KEY="+base64.StdEncoding.EncodeToString(key), "GATEHOUSE_ALLOW_INSECURE_HTTP=true", "GATEHOUSE_LOG_LEVEL=warn")
	cli := func(args ...string) (map[string]any, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if strings.Contains(strings.Join(args, " "), "--password-stdin") {
			cmd.Stdin = strings.NewReader("Bench-Password-Strong-123\n")
		}
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("gatehouse %s: %v: %s", strings.Join(args, " "), err, stderr.String())
		}
		var m map[string]any
		return m, json.Unmarshal(out, &m)
	}
	if _, err := cli("migrate", "--json"); err != nil {
		return err
	}
	if _, err := cli("tenant", "create", "bench", "--name", "Bench", "--json"); err != nil {
		return err
	}
	// The scenarios measure token endpoints; the agents' one-time sign-in
	// during set-up is password only (the default policy demands a second factor).
	if _, err := cli("tenant", "update", "bench", "--mfa", "never", "--json"); err != nil {
		return err
	}
	cc, err := cli("client", "create", "--tenant", "bench", "--name", "machine", "--grant", "client_credentials", "--json")
	if err != nil {
		return err
	}
	web, err := cli("client", "create", "--tenant", "bench", "--name", "helpdesk", "--redirect-uri", "http://127.0.0.1:1/cb", "--json")
	if err != nil {
		return err
	}
	// One agent per worker: a shift of agents signing in, each their own
	// account (one account signing in 32 times at once is throttled, as it
	// should be).
	for w := 0; w < conc; w++ {
		if _, err := cli("user", "create", "--tenant", "bench", "--email", agentEmail(w), "--name", "Agent", "--password-stdin", "--json"); err != nil {
			return err
		}
	}

	if auditN > 0 {
		if err := seedAudit(ctx, u.String(), "bench", auditN); err != nil {
			return fmt.Errorf("seed audit events: %w", err)
		}
	}

	srv := exec.Command(bin, "serve")
	srv.Env = env
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Signal(os.Interrupt); _ = srv.Wait() }()
	f := &fixture{base: base, issuer: base + "/t/bench", pid: srv.Process.Pid, workers: conc,
		ccID: cc["client_id"].(string), ccSecret: cc["client_secret"].(string),
		webID: web["client_id"].(string), webSecret: web["client_secret"].(string)}
	if err := waitReady(base); err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	fmt.Printf("server pid %d, idle RSS %.1f MB\n", f.pid, rssMB(f.pid))

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2, MaxConnsPerHost: conc * 2, IdleConnTimeout: time.Minute}}
	if err := f.prepareUserTokens(client); err != nil {
		return err
	}
	tok, err := f.clientCredentials(client)
	if err != nil {
		return err
	}
	f.introspectTarget = tok

	if auditN > 0 {
		if err := benchAudit(ctx, u.String(), bin, env, dir, "bench", auditN); err != nil {
			return err
		}
	}
	if len(scenarios) == 1 && scenarios[0] == "none" {
		return nil
	}
	fmt.Printf("\n%-20s %10s %10s %10s %10s %10s %8s\n", "scenario", "requests", "errors", "req/s", "p50", "p99", "RSS MB")
	for _, s := range scenarios {
		var op func(worker int) error
		switch strings.TrimSpace(s) {
		case "client_credentials":
			op = func(int) error { _, err := f.clientCredentials(client); return err }
		case "introspection":
			op = func(int) error { return f.introspect(client) }
		case "refresh":
			op = func(w int) error { return f.refreshOnce(client, w) }
		case "userinfo":
			op = func(w int) error { return f.userinfo(client, w) }
		case "login":
			op = func(w int) error { _, err := f.signIn(client, w); return err }
		default:
			return fmt.Errorf("unknown scenario %q", s)
		}
		res := load(conc, dur, op)
		fmt.Printf("%-20s %10d %10d %10.0f %10s %10s %8.1f\n", s, res.n, res.errs, res.rate, res.p50, res.p99, rssMB(f.pid))
		if res.firstErr != nil {
			fmt.Printf("  first error: %v\n", res.firstErr)
		}
	}
	time.Sleep(2 * time.Second)
	fmt.Printf("\nRSS after load: %.1f MB\n", rssMB(f.pid))
	return nil
}

type result struct {
	n, errs  int64
	rate     float64
	p50, p99 time.Duration
	firstErr error
}

func load(conc int, dur time.Duration, op func(int) error) result {
	var n, errs atomic.Int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, conc)
	deadline := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			l := make([]time.Duration, 0, 1<<16)
			for time.Now().Before(deadline) {
				t0 := time.Now()
				err := op(w)
				l = append(l, time.Since(t0))
				n.Add(1)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
			lat[w] = l
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := result{n: n.Load(), errs: errs.Load(), rate: float64(n.Load()) / elapsed.Seconds()}
	if len(all) > 0 {
		r.p50 = all[len(all)/2].Round(10 * time.Microsecond)
		r.p99 = all[len(all)*99/100].Round(10 * time.Microsecond)
	}
	if e, ok := firstErr.Load().(error); ok {
		r.firstErr = e
	}
	return r
}

func (f *fixture) post(c *http.Client, path string, form url.Values, user, pass string) (map[string]any, error) {
	req, _ := http.NewRequest(http.MethodPost, f.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s: status %d: %s", path, resp.StatusCode, body)
	}
	var m map[string]any
	return m, json.Unmarshal(body, &m)
}

func (f *fixture) clientCredentials(c *http.Client) (string, error) {
	m, err := f.post(c, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, f.ccID, f.ccSecret)
	if err != nil {
		return "", err
	}
	tok, _ := m["access_token"].(string)
	if tok == "" {
		return "", errors.New("no access_token")
	}
	return tok, nil
}

func (f *fixture) introspect(c *http.Client) error {
	m, err := f.post(c, "/oauth/introspect", url.Values{"token": {f.introspectTarget}}, f.ccID, f.ccSecret)
	if err != nil {
		return err
	}
	if m["active"] != true {
		return errors.New("token not active")
	}
	return nil
}

func (f *fixture) refreshOnce(c *http.Client, w int) error {
	m, err := f.post(c, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {f.refresh[w]}}, f.webID, f.webSecret)
	if err != nil {
		return err
	}
	rt, _ := m["refresh_token"].(string)
	if rt == "" {
		return errors.New("no refresh_token")
	}
	f.refresh[w] = rt
	return nil
}

func (f *fixture) userinfo(c *http.Client, w int) error {
	req, _ := http.NewRequest(http.MethodGet, f.issuer+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+f.access[w])
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("userinfo: status %d", resp.StatusCode)
	}
	return nil
}

var idRE = regexp.MustCompile(`name="id" value="([^"]+)"`)

// prepareUserTokens signs the agent in once per worker (its own browser,
// its own SSO session, as separate agents would be) and keeps each worker's
// refresh and access token.
func (f *fixture) prepareUserTokens(c *http.Client) error {
	for w := 0; w < f.workers; w++ {
		tok, err := f.signIn(c, w)
		if err != nil {
			return err
		}
		f.refresh = append(f.refresh, tok.RefreshToken)
		f.access = append(f.access, tok.AccessToken)
	}
	return nil
}

// signIn is one agent's whole sign-in in a new browser: /authorize with
// PKCE, the password form, zitadel's callback, and the code exchanged for
// tokens — every request a person's sign-in makes, audit events included.
func (f *fixture) signIn(c *http.Client, w int) (*oauth2.Token, error) {
	cfg := &oauth2.Config{ClientID: f.webID, ClientSecret: f.webSecret, RedirectURL: "http://127.0.0.1:1/cb",
		Endpoint: oauth2.Endpoint{AuthURL: f.issuer + "/authorize", TokenURL: f.issuer + "/oauth/token"},
		Scopes:   []string{"openid", "profile", "email", "offline_access"}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, c)
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Transport: c.Transport, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), "http://127.0.0.1:1/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	v := oauth2.GenerateVerifier()
	resp, err := b.Get(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v)))
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := idRE.FindSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("no login form (status %d)", resp.StatusCode)
	}
	resp, err = b.PostForm(f.issuer+"/login", url.Values{"id": {string(m[1])}, "email": {agentEmail(w)}, "password": {"Bench-Password-Strong-123"}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" {
		return nil, fmt.Errorf("no code in %q (status %d)", resp.Header.Get("Location"), resp.StatusCode)
	}
	return cfg.Exchange(ctx, code, oauth2.VerifierOption(v))
}

// agentEmail is worker w's agent.
func agentEmail(w int) string { return fmt.Sprintf("agent%d@bench.test", w) }

func waitReady(base string) error {
	for i := 0; i < 100; i++ {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("server did not become ready")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// rssMB reads VmRSS of a process from /proc.
func rssMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), "%f", &kb)
			return kb / 1024
		}
	}
	return -1
}
