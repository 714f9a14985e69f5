package session

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/keys"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite/sqlitetest"
	"github.com/gatehouse-idp/gatehouse/idp/tenant"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

type fixture struct {
	svc   *Service
	st    store.Store
	t     *store.Tenant
	alice *store.User
	bob   *store.User
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := sqlitetest.Open(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := seal.New(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	f.t = &store.Tenant{ID: store.NewID(), Slug: "acme", Name: "Acme", CreatedAt: f.now, UpdatedAt: f.now}
	if err := st.CreateTenant(t.Context(), f.t); err != nil {
		t.Fatal(err)
	}
	for _, u := range []**store.User{&f.alice, &f.bob} {
		*u = &store.User{ID: store.NewID(), TenantID: f.t.ID, Email: store.NewID() + "@acme.test", CreatedAt: f.now, UpdatedAt: f.now}
		if err := st.CreateUser(t.Context(), *u); err != nil {
			t.Fatal(err)
		}
	}
	f.svc = &Service{
		Store: st, Tenants: tenant.NewTenants(st, clock), Keys: keys.New(st, sealer, clock, time.Hour),
		Audit: &audit.Recorder{Store: st, Clock: clock, Logger: slog.Default()}, Log: slog.Default(),
		Clock: clock, Rand: rand.Reader, CookieKey: sealer.Derive("test/session-cookie"),
		Backchannel: NewBackchannelClient(), Issuer: func(slug string) string { return "https://id.example.test/t/" + slug },
	}
	return f
}

// signIn starts a session for u in a browser holding cookies, and returns
// the cookies the response set.
func (f *fixture) signIn(t *testing.T, u *store.User, cookies ...*http.Cookie) (*store.Session, []*http.Cookie) {
	t.Helper()
	w := httptest.NewRecorder()
	sess, err := f.svc.Start(w, f.request(cookies...), f.t, u.ID, []string{"pwd"}, "")
	if err != nil {
		t.Fatal(err)
	}
	return sess, w.Result().Cookies()
}

func (f *fixture) request(cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://id.example.test/t/acme/login", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r.WithContext(web.WithExchange(r.Context(), &web.Exchange{R: r, ClientIP: "192.0.2.7"}))
}

func TestCookieIsTheCredential(t *testing.T) {
	f := newFixture(t)
	sess, cookies := f.signIn(t, f.alice)
	if len(cookies) != 1 || cookies[0].Name != "__Host-gh_session_acme" || !cookies[0].Secure || !cookies[0].HttpOnly {
		t.Fatalf("session cookie: %+v", cookies)
	}
	if sid, ok := f.svc.Cookie(f.request(cookies...), f.t); !ok || sid != sess.ID {
		t.Fatalf("authentic cookie not accepted: %q %v", sid, ok)
	}
	if cur, err := f.svc.Current(f.request(cookies...), f.t); err != nil || cur == nil || cur.ID != sess.ID || cur.IP != "192.0.2.7" {
		t.Fatalf("current session: %+v %v", cur, err)
	}
	parts := strings.Split(cookies[0].Value, ".")
	for name, value := range map[string]string{
		"sid alone":     sess.ID,
		"forged MAC":    parts[0] + "." + parts[1] + ".AAAA",
		"other secret":  parts[0] + "." + otherSecret(parts[1]) + "." + parts[2],
		"empty":         "",
		"four parts":    cookies[0].Value + ".x",
		"oversized sid": strings.Repeat("a", 65) + "." + parts[1] + "." + parts[2],
	} {
		c := &http.Cookie{Name: cookies[0].Name, Value: value}
		if _, ok := f.svc.Cookie(f.request(c), f.t); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestReauthenticationRotatesTheCookie(t *testing.T) {
	f := newFixture(t)
	first, old := f.signIn(t, f.alice)
	f.now = f.now.Add(time.Minute)
	again, fresh := f.signIn(t, f.alice, old...)
	if again.ID != first.ID {
		t.Fatalf("re-authentication of the same user must keep the session id: %s != %s", again.ID, first.ID)
	}
	if _, ok := f.svc.Cookie(f.request(old...), f.t); ok {
		t.Fatal("the cookie from before the re-authentication still works")
	}
	if sid, ok := f.svc.Cookie(f.request(fresh...), f.t); !ok || sid != first.ID {
		t.Fatalf("rotated cookie: %q %v", sid, ok)
	}

	// Another user in the same browser: the old session ends, a new one starts.
	other, _ := f.signIn(t, f.bob, fresh...)
	if other.ID == first.ID {
		t.Fatal("another user's sign-in reused the session")
	}
	prev, err := f.st.SessionByID(t.Context(), f.t.ID, first.ID)
	if err != nil || prev.EndedAt == nil || prev.EndReason != "replaced" {
		t.Fatalf("replaced session: %+v %v", prev, err)
	}
	if cur, err := f.svc.Current(f.request(fresh...), f.t); err != nil || cur != nil {
		t.Fatalf("an ended session is current: %+v %v", cur, err)
	}
}

func TestEndAllAndRevoke(t *testing.T) {
	f := newFixture(t)
	var ids []string
	for range 3 {
		s, _ := f.signIn(t, f.alice)
		ids = append(ids, s.ID)
	}
	if n := f.svc.EndAll(t.Context(), f.t, f.alice.ID, ids[0], "password_changed"); n != 2 {
		t.Fatalf("EndAll ended %d, want 2", n)
	}
	list, err := f.svc.ListActive(t.Context(), f.t, f.alice.ID)
	if err != nil || len(list) != 1 || list[0].Session.ID != ids[0] {
		t.Fatalf("active after EndAll: %+v %v", list, err)
	}
	for _, id := range []string{ids[1], "nope"} {
		_, err := f.svc.Revoke(t.Context(), f.t, f.alice.ID, id)
		if _, public := web.PublicText(err); !public {
			t.Errorf("revoke %s: want a public error, got %v", id, err)
		}
	}
	if _, err := f.svc.Revoke(t.Context(), f.t, f.bob.ID, ids[0]); err == nil {
		t.Error("revoked another user's session")
	}
	if n, err := f.svc.Revoke(t.Context(), f.t, f.alice.ID, ids[0]); err != nil || n != 1 {
		t.Fatalf("revoke: %d %v", n, err)
	}
	if n, err := f.svc.Revoke(t.Context(), f.t, f.alice.ID, ""); err != nil || n != 0 {
		t.Fatalf("revoke all of none: %d %v", n, err)
	}
}

func TestDeviceCookie(t *testing.T) {
	f := newFixture(t)
	if _, ok := f.svc.DeviceID(f.request()); ok {
		t.Fatal("a device id without a cookie")
	}
	w := httptest.NewRecorder()
	id := f.svc.EnsureDeviceID(w, f.request())
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != "__Host-gh_device" || cookies[0].Value != id || cookies[0].MaxAge != 400*24*3600 {
		t.Fatalf("device cookie: %+v", cookies)
	}
	w = httptest.NewRecorder()
	if again := f.svc.EnsureDeviceID(w, f.request(cookies...)); again != id || len(w.Result().Cookies()) != 0 {
		t.Fatalf("a known device got a new id or cookie: %q", again)
	}
	if _, ok := f.svc.DeviceID(f.request(&http.Cookie{Name: "__Host-gh_device", Value: "not-an-id"})); ok {
		t.Fatal("a malformed device id was accepted")
	}
}

// otherSecret is secret with its first character changed.
func otherSecret(secret string) string {
	if secret[0] == 'A' {
		return "B" + secret[1:]
	}
	return "A" + secret[1:]
}

// TestOneEventPerEnd: signing out is one session.logout (naming the app at
// end_session), any other end one session.ended with its reason — never both.
func TestOneEventPerEnd(t *testing.T) {
	f := newFixture(t)
	a, _ := f.signIn(t, f.alice)
	b, _ := f.signIn(t, f.alice)
	c, _ := f.signIn(t, f.alice)
	if err := f.svc.End(t.Context(), f.t, a, ReasonLogout); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Logout(t.Context(), f.t, b, "helpdesk"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.End(t.Context(), f.t, c, "password_changed"); err != nil {
		t.Fatal(err)
	}
	evs, err := f.st.ListAuditEvents(t.Context(), f.t.ID, store.AuditQuery{Types: []string{audit.SessionLogout, audit.SessionEnded}})
	if err != nil || len(evs) != 3 {
		t.Fatalf("%d events, want one per end (%v)", len(evs), err)
	}
	byID := map[string]*store.AuditEvent{}
	for _, e := range evs {
		byID[e.SessionID] = e
	}
	if e := byID[a.ID]; e.Type != audit.SessionLogout || e.ClientID != "" {
		t.Errorf("account sign-out: %+v", e)
	}
	if e := byID[b.ID]; e.Type != audit.SessionLogout || e.ClientID != "helpdesk" {
		t.Errorf("end_session sign-out: %+v", e)
	}
	if e := byID[c.ID]; e.Type != audit.SessionEnded || e.Detail["reason"] != "password_changed" {
		t.Errorf("ended session: %+v", e)
	}
}
