package e2e

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"
	_ "modernc.org/sqlite"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/postgres"
	"github.com/gatehouse-idp/gatehouse/idp/store/postgres/pgtest"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite"
)

// auditEnv is an env whose database the test can also reach behind the
// store's back (to tamper with a row, as someone with database access would).
type auditEnv struct {
	*env
	tamper func(t *testing.T, sql string)
}

func forEachAuditBackend(t *testing.T, opt func(o *idp.Options), f func(t *testing.T, e *auditEnv)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			if b == "postgres" && os.Getenv("GATEHOUSE_SKIP_POSTGRES") == "1" {
				t.Skip("GATEHOUSE_SKIP_POSTGRES=1")
			}
			ae := &auditEnv{}
			var st store.Store
			switch b {
			case "sqlite":
				path := filepath.Join(t.TempDir(), "g.db")
				s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				if _, err := s.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				st = s
				ae.tamper = func(t *testing.T, q string) {
					db, err := sql.Open("sqlite", path)
					if err != nil {
						t.Fatal(err)
					}
					defer db.Close()
					if _, err := db.Exec(q); err != nil {
						t.Fatal(err)
					}
				}
			case "postgres":
				u := pgtest.FreshSchema(t)
				s, err := postgres.Open(context.Background(), u, postgres.Options{MaxConns: 8})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				if _, err := s.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				st = s
				ae.tamper = func(t *testing.T, q string) {
					conn, err := pgx.Connect(context.Background(), u)
					if err != nil {
						t.Fatal(err)
					}
					defer conn.Close(context.Background())
					if _, err := conn.Exec(context.Background(), q); err != nil {
						t.Fatal(err)
					}
				}
			}
			ae.env = newEnv(t, b, func(o *idp.Options) {
				o.Store = st
				if opt != nil {
					opt(o)
				}
			})
			ae.env.store = st
			f(t, ae)
		})
	}
}

// apiGet calls the admin API with a bearer token.
func (e *env) api(method, path, token string, body any) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, e.issuer+"/api/v1"+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.hs.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// userToken signs email in through the web client and returns its access token.
func (e *env) userToken(email, password string) string {
	e.t.Helper()
	id, secret := e.webClient()
	r := e.rp(id, secret)
	v, ch := pkce()
	q := e.browser().login(r.authURL("st", ch, oidc.Nonce("n")), email, password)
	tok, err := r.oauth.Exchange(e.ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		e.t.Fatalf("exchange for %s: %v", email, err)
	}
	return tok.AccessToken
}

// TestAuditLogAPI: the tenant's log is the owners' and the audit-scoped
// clients' alone (an admin is refused, and the refusal is an event); a
// client may ask only for the scopes it was granted; an owner exports a
// period as JSON lines and as CSV in the background, downloads both, sees
// both in the history and gets an email for each; the chain verifies, and
// stops verifying when a row is changed behind the store's back.
func TestAuditLogAPI(t *testing.T) {
	ms := new(mailBox)
	forEachAuditBackend(t, func(o *idp.Options) { ms.srv, o.EmailSender = mailServer(t) }, func(t *testing.T, e *auditEnv) {
		ctx := context.Background()
		const pw = "Owner-Password-Strong-2026"
		for _, u := range []manage.UserSpec{{Email: "olga@acme.test", Role: store.RoleOwner, Password: pw},
			{Email: "adam@acme.test", Role: store.RoleAdmin, Password: pw}} {
			if _, err := e.srv.Manage().CreateUser(ctx, e.acme, u); err != nil {
				t.Fatal(err)
			}
		}
		// An agent's sign-in, to have something in the log.
		id, secret := e.webClient()
		e.rp(id, secret).signIn(e.browser())

		owner, admin := e.userToken("olga@acme.test", pw), e.userToken("adam@acme.test", pw)
		if resp, body := e.api("GET", "/audit", admin, nil); resp.StatusCode != 403 || !strings.Contains(string(body), "owners") {
			t.Fatalf("admin: %d %s", resp.StatusCode, body)
		}
		refused := e.auditEvents(audit.AuditAccessRefused)
		if len(refused) != 1 || refused[0].UserID != e.user("adam@acme.test").ID || refused[0].IP == "" {
			t.Fatalf("refusal events: %+v", refused)
		}
		if resp, _ := e.api("GET", "/audit", "", nil); resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("no token: %d", resp.StatusCode)
		}
		resp, body := e.api("GET", "/audit?type=login.password.succeeded&limit=10", owner, nil)
		var page struct {
			Events     []audit.Record `json:"events"`
			NextCursor string         `json:"next_cursor"`
		}
		if resp.StatusCode != 200 || json.Unmarshal(body, &page) != nil || len(page.Events) != 3 {
			t.Fatalf("owner's list: %d %s", resp.StatusCode, body)
		}
		if ev := page.Events[2]; ev.UserID != e.agent().ID || ev.IP == "" || ev.UserAgent == "" || ev.RequestID == "" || ev.Outcome != store.AuditSuccess ||
			ev.ActorKind != store.ActorUser || ev.Hash == "" {
			t.Fatalf("the agent's sign-in event: %+v", ev)
		}

		// Machine clients: the scope must have been granted.
		siem, siemSecret := e.client(e.acme, manage.ClientSpec{Name: "SIEM", Grants: []string{store.GrantClientCredentials}, Scopes: []string{store.ScopeAudit}})
		bot, botSecret := e.client(e.acme, manage.ClientSpec{Name: "Bot", Grants: []string{store.GrantClientCredentials}})
		if st, m := e.tokenForm(url.Values{"grant_type": {"client_credentials"}, "scope": {store.ScopeAudit}}, bot, botSecret); st != 400 || m["error"] != "invalid_scope" {
			t.Fatalf("ungranted scope: %d %v", st, m)
		}
		st, m := e.tokenForm(url.Values{"grant_type": {"client_credentials"}}, bot, botSecret)
		if st != 200 {
			t.Fatalf("bot token: %d %v", st, m)
		}
		if resp, _ := e.api("GET", "/audit", m["access_token"].(string), nil); resp.StatusCode != 403 {
			t.Fatalf("unscoped client: %d", resp.StatusCode)
		}
		st, m = e.tokenForm(url.Values{"grant_type": {"client_credentials"}, "scope": {store.ScopeAudit}}, siem, siemSecret)
		if st != 200 || m["scope"] != store.ScopeAudit {
			t.Fatalf("siem token: %d %v", st, m)
		}
		if resp, body := e.api("GET", "/audit?limit=1", m["access_token"].(string), nil); resp.StatusCode != 200 {
			t.Fatalf("scoped client: %d %s", resp.StatusCode, body)
		}
		// A token of this tenant is nothing at another's.
		req, _ := http.NewRequest("GET", e.hs.URL+"/t/other/api/v1/audit", nil)
		req.Header.Set("Authorization", "Bearer "+m["access_token"].(string))
		if resp, err := e.hs.Client().Do(req); err != nil || resp.StatusCode != 401 {
			t.Fatalf("acme's token at other: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}

		// Exports in the background, by the owner, JSON lines and CSV.
		since, until := e.clock.Now().Add(-time.Hour).Format(time.RFC3339), e.clock.Now().Add(time.Hour).Format(time.RFC3339)
		files := map[string][]byte{}
		for _, format := range []string{"jsonl", "csv"} {
			resp, body := e.api("POST", "/audit/exports", owner, map[string]string{"since": since, "until": until, "format": format})
			var x struct{ ID, Status, Download string }
			if resp.StatusCode != 202 || json.Unmarshal(body, &x) != nil || x.ID == "" {
				t.Fatalf("start %s export: %d %s", format, resp.StatusCode, body)
			}
			mail := waitMail(t, ms.srv, "olga@acme.test")
			if !strings.Contains(mail.Subject, "audit log export is ready") || !strings.Contains(mail.Text, x.ID) ||
				strings.Contains(mail.Text, "login.password") {
				t.Fatalf("export email: %q\n%s", mail.Subject, mail.Text)
			}
			_, body = e.api("GET", "/audit/exports/"+x.ID, owner, nil)
			if json.Unmarshal(body, &x) != nil || x.Status != store.ExportReady || x.Download == "" {
				t.Fatalf("%s export status: %s", format, body)
			}
			req, _ := http.NewRequest("GET", e.hs.URL+x.Download, nil)
			req.Header.Set("Authorization", "Bearer "+owner)
			dl, err := e.hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			file, _ := io.ReadAll(dl.Body)
			dl.Body.Close()
			sum := sha256.Sum256(file)
			if dl.StatusCode != 200 || dl.Header.Get("Repr-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" {
				t.Fatalf("%s download: %d %v", format, dl.StatusCode, dl.Header)
			}
			files[format] = file
		}
		lines := strings.Split(strings.TrimSpace(string(files["jsonl"])), "\n")
		rows, err := csv.NewReader(strings.NewReader(string(files["csv"]))).ReadAll()
		if err != nil || len(lines) < 10 || len(rows) != len(lines)+2 { // CSV: a header, and the JSON export's own event
			t.Fatalf("exports: %d lines, %d rows (%v)", len(lines), len(rows), err)
		}
		var hist struct {
			Exports []struct {
				Format      string
				Status      string
				RequestedBy audit.Actor `json:"requested_by"`
			}
		}
		_, body = e.api("GET", "/audit/exports", owner, nil)
		// (The test's clock stands still: both exports have one time, so
		// their order in the history is not asserted.)
		if json.Unmarshal(body, &hist) != nil || len(hist.Exports) != 2 || hist.Exports[0].Format == hist.Exports[1].Format ||
			hist.Exports[1].RequestedBy.ID != e.user("olga@acme.test").ID || hist.Exports[0].Status != store.ExportReady {
			t.Fatalf("history: %s", body)
		}
		if n := len(e.auditEvents(audit.AuditExported)); n != 2 {
			t.Fatalf("%d export events", n)
		}

		// The chain holds, until a row is changed behind the store's back.
		r, err := audit.Verify(ctx, e.store, e.acme.ID)
		if err != nil || r.Broken != nil || r.Events < 10 {
			t.Fatalf("verify: %+v %v", r, err)
		}
		e.tamper(t, `UPDATE audit_events SET ip = '10.9.9.9' WHERE chain_seq = 5`)
		r, err = audit.Verify(ctx, e.store, e.acme.ID)
		if err != nil || r.Broken == nil || r.Broken.Seq != 5 {
			t.Fatalf("verify after tampering: %+v (%+v) %v", r, r.Broken, err)
		}
	})
}

var activityTitleRE = regexp.MustCompile(`<p class="event-title"><strong>([^<]+)</strong>`)

// TestActivityPage: an agent sees their own security activity — their
// sign-ins and the browser they blocked — newest first, with times a
// browser shows in its own zone (UTC without JavaScript), filtered by kind,
// and nothing about anyone else.
func TestActivityPage(t *testing.T) {
	forEachBackendOpts(t, func(t *testing.T, o *idp.Options) { o.TrustedProxies = []string{"127.0.0.1/32"} }, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		mine, other := e.browser(), e.browser()
		for _, s := range []struct {
			b  *browser
			ip string
		}{{mine, "203.0.113.10"}, {other, "198.51.100.7"}} {
			if resp, _ := s.b.signInFrom(r, s.ip); rpRedirectQuery(resp) == nil {
				t.Fatalf("sign-in from %s: %d", s.ip, resp.StatusCode)
			}
		}
		hdr := map[string]string{"X-Forwarded-For": "203.0.113.10"}
		_, body := mine.getWith(e.issuer+"/account/devices", hdr)
		var otherID string
		for _, m := range deviceRowRE.FindAllStringSubmatch(body, -1) {
			if m[2] == "" {
				otherID = m[1]
			}
		}
		if resp, _ := mine.postWith(e.issuer+"/account/devices", url.Values{"kind": {"device"}, "id": {otherID}, "action": {"block"}}, hdr); resp.StatusCode != 200 {
			t.Fatalf("block: %d", resp.StatusCode)
		}
		// Someone else's sign-in is not on this page.
		if _, err := e.srv.Manage().CreateUser(context.Background(), e.acme, manage.UserSpec{Email: "bea@acme.test", Password: agentPassword}); err != nil {
			t.Fatal(err)
		}
		e.browser().login(r.authURL("s"), "bea@acme.test", agentPassword)

		resp, body := mine.getWith(e.issuer+"/account/activity", hdr)
		titles := activityTitleRE.FindAllStringSubmatch(body, -1)
		if resp.StatusCode != 200 || len(titles) < 4 {
			t.Fatalf("activity page: %d %.2000s", resp.StatusCode, body)
		}
		if titles[0][1] != "A browser was blocked" || strings.Count(body, "Signed in with your password") != 2 {
			t.Fatalf("activity titles: %v", titles)
		}
		if !strings.Contains(body, `<time datetime="`) || !strings.Contains(body, " UTC</time>") || !strings.Contains(body, "203.0.113.10") {
			t.Fatalf("times and addresses: %.2000s", body)
		}
		if n := strings.Count(body, `<li class="event`); n != len(titles) {
			t.Fatalf("%d events, %d titles", n, len(titles))
		}
		// Filtered by kind: devices only.
		_, body = mine.getWith(e.issuer+"/account/activity?kind=devices", hdr)
		if !strings.Contains(body, "A browser was blocked") || strings.Contains(body, "Signed in with your password") ||
			!strings.Contains(body, `<option value="devices" selected>`) {
			t.Fatalf("devices only: %.2000s", body)
		}
		// The page is the user's: signed out, it asks for a sign-in.
		if resp, body := e.browser().get(e.issuer + "/account/activity"); resp.StatusCode != 200 || !strings.Contains(body, `name="password"`) {
			t.Fatalf("signed out: %d %.300s", resp.StatusCode, body)
		}
	})
}

// TestAuditEventsNamePlaces: with GeoIP configured, an event of a request
// names the place of its address (and without it, none).
func TestAuditEventsNamePlaces(t *testing.T) {
	forEachBackendWith(t, withGeo(t), func(t *testing.T, e *env) {
		id, secret := e.webClient()
		ip := ipChicago
		b := e.browserAt(&ip)
		e.rp(id, secret).signIn(b)
		evs := e.auditEvents(audit.LoginPasswordSucceeded)
		if len(evs) != 1 || evs[0].IP != ipChicago || !strings.Contains(evs[0].Location, "Chicago") {
			t.Fatalf("events: %+v", evs)
		}
	})
	e := newEnv(t, "sqlite")
	id, secret := e.webClient()
	e.rp(id, secret).signIn(e.browser())
	if evs := e.auditEvents(audit.LoginPasswordSucceeded); len(evs) != 1 || evs[0].Location != "" {
		t.Fatalf("without GeoIP: %+v", evs)
	}
}
