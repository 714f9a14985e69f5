package e2e

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/notify/smtptest"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// forEachBackendOpts is forEachBackend with extra server options set by a
// function that also gets the subtest (to start per-backend fakes).
func forEachBackendOpts(t *testing.T, opt func(t *testing.T, o *idp.Options), f func(t *testing.T, e *env)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			if b == "postgres" && os.Getenv("GATEHOUSE_SKIP_POSTGRES") == "1" {
				t.Skip("GATEHOUSE_SKIP_POSTGRES=1")
			}
			f(t, newEnv(t, b, func(o *idp.Options) { opt(t, o) }))
		})
	}
}

// mailServer starts a real SMTP server and returns it with the sender the
// Gatehouse server uses.
func mailServer(t *testing.T) (*smtptest.Server, notify.EmailSender) {
	t.Helper()
	ms := smtptest.Start(t, smtptest.Options{})
	sender, err := notify.NewSMTPSender(notify.SMTPConfig{URL: ms.URL(), From: "Gatehouse <login@gatehouse.test>", RootCAs: ms.RootCAs(), HELO: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	return ms, sender
}

// updateTenant changes acme's settings.
func (e *env) updateTenant(f func(s *store.TenantSettings)) {
	e.t.Helper()
	t, err := e.srv.Manage().TenantBySlug(context.Background(), "acme")
	if err != nil {
		e.t.Fatal(err)
	}
	f(&t.Settings)
	if err := e.srv.Manage().UpdateTenant(context.Background(), t); err != nil {
		e.t.Fatal(err)
	}
}

// user returns a user of acme by email.
func (e *env) user(email string) *store.User {
	e.t.Helper()
	u, err := e.store.UserByEmail(context.Background(), e.acme.ID, email)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// metric returns the value of one series line from /metrics ("" if absent).
func (e *env) metric(series string) string {
	e.t.Helper()
	resp, err := e.hs.Client().Get(e.hs.URL + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			return v
		}
	}
	return ""
}

// auditEvents returns acme's events of type typ, newest first.
func (e *env) auditEvents(typ string) []*store.AuditEvent {
	e.t.Helper()
	evs, err := e.store.ListAuditEvents(context.Background(), e.acme.ID, store.AuditQuery{Types: []string{typ}, Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// getWith sends a GET with extra headers through the browser.
func (b *browser) getWith(u string, hdr map[string]string) (*http.Response, string) {
	b.e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body := readAll(resp)
	return resp, body
}

func readAll(resp *http.Response) string {
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// loginPage starts a code flow for r and returns the login page body.
func (b *browser) loginPage(r *rp) string {
	b.e.t.Helper()
	_, ch := pkce()
	resp, body := b.get(r.authURL("st", ch))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		b.e.t.Fatalf("expected the login page, got %d: %.300s", resp.StatusCode, body)
	}
	b.noteBinding(body)
	return body
}

// postLogin posts the login form of page and returns status and body.
func (b *browser) postLogin(page, email, pw string) (*http.Response, string) {
	b.e.t.Helper()
	m := hiddenID.FindStringSubmatch(page)
	if m == nil {
		b.e.t.Fatalf("no auth request id in page: %.300s", page)
	}
	b.adoptBinding(m[1])
	return b.post(b.e.issuer+"/login", url.Values{"id": {m[1]}, "email": {email}, "password": {pw}})
}

var linkRE = regexp.MustCompile(`https://[^\s"<>]+/login/reset\?token=[A-Za-z0-9_-]+`)

// waitMail waits for the next message to addr that is not a new-device or
// new-location notice (those come with many sign-ins; TestDeviceCentre
// checks them with waitMailAny).
func waitMail(t *testing.T, ms *smtptest.Server, addr string) smtptest.Message {
	t.Helper()
	for {
		m := waitMailAny(t, ms, addr)
		if !isNewSignInNotice(m) {
			return m
		}
	}
}

// waitMailAny waits for the next message to addr.
func waitMailAny(t *testing.T, ms *smtptest.Server, addr string) smtptest.Message {
	t.Helper()
	m, err := ms.WaitFor(addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func isNewSignInNotice(m smtptest.Message) bool {
	return strings.HasPrefix(m.Subject, "New sign-in to ")
}

// policyMessages counts the messages that are not new-sign-in notices.
func policyMessages(ms *smtptest.Server) int {
	n := 0
	for _, m := range ms.Messages() {
		if !isNewSignInNotice(m) {
			n++
		}
	}
	return n
}
