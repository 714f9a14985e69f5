package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite/sqlitetest"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// testMux is a web.Mux that resolves {tenant} from the store and keeps the
// patterns, as the root's router does.
type testMux struct {
	st       store.Store
	mux      *http.ServeMux
	patterns []string
}

func (m *testMux) Handle(p string, h http.Handler) {
	m.patterns = append(m.patterns, p)
	m.mux.Handle(p, h)
}
func (m *testMux) Page(p, _ string, h web.TenantHandler)     { m.mount(p, h) }
func (m *testMux) Endpoint(p, _ string, h web.TenantHandler) { m.mount(p, h) }
func (m *testMux) Form(p, _ string, h web.TenantHandler)     { m.mount(p, h) }
func (m *testMux) mount(p string, h web.TenantHandler) {
	m.Handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := m.st.TenantBySlug(r.Context(), r.PathValue("tenant"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		h(w, r, t)
	}))
}

type fixture struct {
	st      store.Store
	h       *Handler
	srv     *httptest.Server
	mux     *testMux
	acme    *store.Tenant
	other   *store.Tenant
	users   map[string]*store.User // by role
	tokens  map[string]*Principal
	refused []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := sqlitetest.Open(t)
	now := time.Now().UTC()
	f := &fixture{st: st, users: map[string]*store.User{}, tokens: map[string]*Principal{}}
	for _, tn := range []**store.Tenant{&f.acme, &f.other} {
		*tn = &store.Tenant{Slug: map[bool]string{true: "acme", false: "other"}[tn == &f.acme], Name: "T", CreatedAt: now, UpdatedAt: now}
		if err := st.CreateTenant(t.Context(), *tn); err != nil {
			t.Fatal(err)
		}
	}
	for _, role := range []string{store.RoleOwner, store.RoleAdmin, store.RoleAgent} {
		u := &store.User{TenantID: f.acme.ID, Email: role + "@acme.test", Role: role, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		f.users[role] = u
		f.tokens[role+"-token"] = &Principal{ClientID: "helpdesk", UserID: u.ID, Scopes: []string{"openid"}}
	}
	f.tokens["scoped-client"] = &Principal{ClientID: "siem", Scopes: []string{store.ScopeAudit}}
	f.tokens["plain-client"] = &Principal{ClientID: "bot", Scopes: []string{"gatehouse.admin.read"}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := &audit.Recorder{Store: st, Clock: time.Now, Logger: log}
	f.h = &Handler{Store: st, Audit: rec, Log: log,
		Exports: &audit.Exports{Store: st, Recorder: rec, Clock: time.Now, Log: log},
		Gate: &web.IPGate{Log: log, Refused: func(_ context.Context, _ *store.Tenant, scope, ip, _ string) {
			f.refused = append(f.refused, scope+" "+ip)
		}},
		Verify: func(_ context.Context, tn *store.Tenant, token string) (*Principal, error) {
			if p, ok := f.tokens[token]; ok && tn.ID == f.acme.ID {
				return p, nil
			}
			return nil, ErrInvalidToken
		}}
	f.mux = &testMux{st: st, mux: http.NewServeMux()}
	f.h.Mount(f.mux)
	proxies, _ := web.NewProxies(nil)
	f.srv = httptest.NewServer((&web.Middleware{Proxies: proxies, Log: log}).Wrap(f.mux.mux))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) do(t *testing.T, method, path, token string, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// TestEveryAPIRouteIsGuarded calls every route Mount mounted without a
// token, with a bad one, and with an agent's: none may answer anything but
// 401 or 403.
func TestEveryAPIRouteIsGuarded(t *testing.T) {
	f := newFixture(t)
	if len(f.mux.patterns) < 5 {
		t.Fatalf("only %d routes mounted", len(f.mux.patterns))
	}
	for _, p := range f.mux.patterns {
		method, path, _ := strings.Cut(p, " ")
		path = strings.NewReplacer("{tenant}", "acme", "{id}", "x").Replace(path)
		for token, want := range map[string]int{"": 401, "forged": 401, "agent-token": 403, "admin-token": 403, "plain-client": 403} {
			resp, body := f.do(t, method, path, token, map[string]string{})
			if resp.StatusCode != want {
				t.Errorf("%s with token %q: %d %s, want %d", p, token, resp.StatusCode, body, want)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: cacheable answer", p)
			}
		}
	}
	evs, _ := f.st.ListAuditEvents(t.Context(), f.acme.ID, store.AuditQuery{Types: []string{audit.AuditAccessRefused}, Limit: 100})
	if len(evs) != 3*len(f.mux.patterns) {
		t.Fatalf("%d refusals audited, want %d", len(evs), 3*len(f.mux.patterns))
	}
	if e := evs[len(evs)-1]; e.Outcome != store.AuditFailure || e.ActorKind == "" || e.Detail["route"] == "" {
		t.Fatalf("refusal event: %+v", e)
	}
	// Another tenant's token is not this tenant's.
	if resp, _ := f.do(t, "GET", "/t/other/api/v1/audit", "owner-token", nil); resp.StatusCode != 401 {
		t.Fatalf("acme's owner token at other: %d", resp.StatusCode)
	}
}

func TestAuditListAPI(t *testing.T) {
	f := newFixture(t)
	for i := range 7 {
		e := &store.AuditEvent{TenantID: f.acme.ID, Type: audit.LoginPasswordSucceeded, UserID: f.users[store.RoleAgent].ID,
			CreatedAt: time.Now().Add(time.Duration(i) * time.Second)}
		if i == 3 {
			e.Type = audit.DeviceBlock
		}
		if err := f.st.AppendAuditEvent(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	for _, token := range []string{"owner-token", "scoped-client"} {
		var page auditPage
		resp, body := f.do(t, "GET", "/t/acme/api/v1/audit?limit=4", token, nil)
		if resp.StatusCode != 200 || json.Unmarshal(body, &page) != nil || len(page.Events) != 4 || page.NextCursor == "" {
			t.Fatalf("%s: %d %s", token, resp.StatusCode, body)
		}
		resp, body = f.do(t, "GET", "/t/acme/api/v1/audit?limit=4&cursor="+page.NextCursor, token, nil)
		var next auditPage
		if resp.StatusCode != 200 || json.Unmarshal(body, &next) != nil || len(next.Events) != 3 || next.NextCursor != "" ||
			next.Events[0].Seq != page.Events[3].Seq-1 {
			t.Fatalf("%s, page 2: %d %s", token, resp.StatusCode, body)
		}
	}
	resp, body := f.do(t, "GET", "/t/acme/api/v1/audit?type=device.block&user_id="+f.users[store.RoleAgent].ID, "owner-token", nil)
	if !strings.Contains(string(body), `"type":"device.block"`) || strings.Count(string(body), `"seq"`) != 1 {
		t.Fatalf("filtered: %d %s", resp.StatusCode, body)
	}
	// Every problem at once.
	resp, body = f.do(t, "GET", "/t/acme/api/v1/audit?since=yesterday&limit=0&cursor=x&type=nope", "owner-token", nil)
	var e struct {
		Error    string    `json:"error"`
		Problems []Problem `json:"problems"`
	}
	if resp.StatusCode != 400 || json.Unmarshal(body, &e) != nil || e.Error != "invalid_request" || len(e.Problems) != 4 {
		t.Fatalf("bad query: %d %s", resp.StatusCode, body)
	}
}

func TestAuditExportAPI(t *testing.T) {
	f := newFixture(t)
	for i := range 30 {
		if err := f.st.AppendAuditEvent(t.Context(), &store.AuditEvent{TenantID: f.acme.ID, Type: audit.LoginSSO,
			UserAgent: "=cmd|' /C calc'!A0", CreatedAt: time.Now().Add(-time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	ready := make(chan *store.AuditExport, 2)
	f.h.Exports.Ready = func(_ context.Context, x *store.AuditExport) { ready <- x }
	period := map[string]string{"since": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
		"until": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "format": "csv"}
	resp, body := f.do(t, "POST", "/t/acme/api/v1/audit/exports", "owner-token", period)
	var x exportView
	if resp.StatusCode != 202 || json.Unmarshal(body, &x) != nil || x.ID == "" || x.RequestedBy.ID != f.users[store.RoleOwner].ID ||
		resp.Header.Get("Location") != "/t/acme/api/v1/audit/exports/"+x.ID {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	done := <-ready
	f.h.Exports.Wait()
	resp, body = f.do(t, "GET", "/t/acme/api/v1/audit/exports/"+x.ID, "owner-token", nil)
	if json.Unmarshal(body, &x) != nil || x.Status != store.ExportReady || x.Rows != 30 || x.Download == "" {
		t.Fatalf("status: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "GET", x.Download, "scoped-client", nil)
	sum := sha256.Sum256(body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		resp.Header.Get("Repr-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" ||
		int64(len(body)) != done.Bytes || !strings.Contains(string(body), `'=cmd|`) {
		t.Fatalf("download: %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	// A client asks too; the history lists both, newest first.
	resp, _ = f.do(t, "POST", "/t/acme/api/v1/audit/exports", "scoped-client", map[string]string{"since": period["since"], "until": period["until"]})
	if resp.StatusCode != 202 {
		t.Fatalf("client export: %d", resp.StatusCode)
	}
	<-ready
	f.h.Exports.Wait()
	var hist struct{ Exports []exportView }
	_, body = f.do(t, "GET", "/t/acme/api/v1/audit/exports", "owner-token", nil)
	if json.Unmarshal(body, &hist) != nil || len(hist.Exports) != 2 || hist.Exports[0].RequestedBy.Kind != store.ActorClient ||
		hist.Exports[0].Format != audit.FormatJSONL {
		t.Fatalf("history: %s", body)
	}
	// Refusals: bad body (every problem), unknown export, nothing to download.
	resp, body = f.do(t, "POST", "/t/acme/api/v1/audit/exports", "owner-token", map[string]string{"since": "x", "until": "y", "format": "xml"})
	if resp.StatusCode != 400 || strings.Count(string(body), `"field"`) != 3 {
		t.Fatalf("bad request: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.do(t, "POST", "/t/acme/api/v1/audit/exports", "owner-token", map[string]any{"since": 1, "extra": true}); resp.StatusCode != 400 {
		t.Fatalf("unknown field: %d", resp.StatusCode)
	}
	if resp, _ := f.do(t, "GET", "/t/acme/api/v1/audit/exports/nope/download", "owner-token", nil); resp.StatusCode != 404 {
		t.Fatalf("unknown export: %d", resp.StatusCode)
	}
	cli, err := f.h.Exports.Write(t.Context(), f.acme.ID, audit.Actor{Kind: store.ActorCLI}, audit.Period{Since: time.Now().Add(-time.Hour), Until: time.Now()}, "jsonl", io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := f.do(t, "GET", "/t/acme/api/v1/audit/exports/"+cli.ID+"/download", "owner-token", nil); resp.StatusCode != 404 {
		t.Fatalf("CLI export download: %d", resp.StatusCode)
	}
}

func TestAPIAllowlist(t *testing.T) {
	f := newFixture(t)
	f.acme.Settings.IPAllowlistAPI = []store.IPAllowEntry{{CIDR: "192.0.2.0/24", Note: "office"}}
	if err := f.st.UpdateTenant(t.Context(), f.acme); err != nil {
		t.Fatal(err)
	}
	resp, body := f.do(t, "GET", "/t/acme/api/v1/audit", "owner-token", nil)
	if resp.StatusCode != 403 || !strings.Contains(string(body), "allowlist") || len(f.refused) != 1 || f.refused[0] != "api 127.0.0.1" {
		t.Fatalf("outside the API allowlist: %d %s %v", resp.StatusCode, body, f.refused)
	}
	f.acme.Settings.IPAllowlistAPI = append(f.acme.Settings.IPAllowlistAPI, store.IPAllowEntry{CIDR: "127.0.0.1/32", Note: "this host"})
	if err := f.st.UpdateTenant(t.Context(), f.acme); err != nil {
		t.Fatal(err)
	}
	if resp, body := f.do(t, "GET", "/t/acme/api/v1/audit", "owner-token", nil); resp.StatusCode != 200 {
		t.Fatalf("inside the API allowlist: %d %s", resp.StatusCode, body)
	}
}
