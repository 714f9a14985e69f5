package mailer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// tenants is a Tenants of fixed tenants by id.
type tenants map[string]*store.Tenant

func (m tenants) ByID(_ context.Context, id string) (*store.Tenant, error) {
	if t, ok := m[id]; ok {
		return t, nil
	}
	return nil, store.ErrNotFound
}

func newService(t *testing.T, sender notify.EmailSender, ts tenants) *Service {
	t.Helper()
	tmpl, err := ParseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	return &Service{Sender: sender, Templates: tmpl, Tenants: ts, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock: func() time.Time { return time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC) }}
}

// TestEmailsRender: every email template renders with its data and the
// tenant's current sender name.
func TestEmailsRender(t *testing.T) {
	out := notify.NewOutbox(0, nil)
	tn := &store.Tenant{ID: "t1", Slug: "acme", Name: "Acme"}
	s := newService(t, out, tenants{"t1": {ID: "t1", Slug: "acme", Name: "Acme", Settings: store.TenantSettings{SenderName: "Acme IT"}}})
	for name, data := range map[string]map[string]any{
		Code:           {"Code": "123456", "Minutes": 10, "Enroll": false},
		FactorAdded:    {"Email": "a@acme.test", "Factor": "Authenticator app", "Time": "now", "IP": "203.0.113.1", "Device": "Firefox"},
		FactorRemoved:  {"Email": "a@acme.test", "Factor": "Authenticator app", "Time": "now", "IP": "203.0.113.1", "Device": "Firefox"},
		BackupCodeUsed: {"Email": "a@acme.test", "Remaining": 2, "Low": true, "Time": "now", "IP": "203.0.113.1", "Device": "Firefox"},
		AuditExportReady: {"Name": "Olga", "Export": "x1", "Since": "2026-11-01 00:00", "Until": "2026-12-01 00:00",
			"Format": "jsonl", "Days": 7, "Failed": false},
	} {
		if err := s.Send(t.Context(), tn, "a@acme.test", name, data); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m := out.Emails()[0]
		if m.FromName != "Acme IT" || m.Subject == "" || m.Text == "" || m.HTML == "" {
			t.Fatalf("%s: %+v", name, m)
		}
	}
	if err := s.Send(t.Context(), tn, "a@acme.test", Code, map[string]any{"Code": "1"}); err == nil {
		t.Fatal("missing template data accepted")
	}
	if err := s.Send(t.Context(), tn, "a@acme.test", "no_such_email", nil); err == nil {
		t.Fatal("unknown email accepted")
	}
	// Without a sender name the tenant's name signs.
	s.Tenants = tenants{}
	if err := s.Send(t.Context(), tn, "a@acme.test", Code, map[string]any{"Code": "1", "Minutes": 1, "Enroll": true}); err != nil {
		t.Fatal(err)
	}
	if m := out.Emails()[0]; m.FromName != "Acme" {
		t.Fatalf("default sender name: %q", m.FromName)
	}
}

func TestPolicyEmails(t *testing.T) {
	tmpl, err := ParseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	d := map[string]any{"TenantName": "Acme <Support>", "SenderName": "Acme", "Name": "Alice", "Email": "alice@acme.test",
		"Time": "2 January 2030 03:04 UTC", "IP": "192.0.2.7", "Device": "Firefox 120 on Linux",
		"Link": "https://id.example/t/acme/login/reset?token=abc", "Minutes": 30, "Failures": 10}
	for _, kind := range []string{PasswordChanged, PasswordReset, AccountLocked} {
		et, ok := tmpl.m[kind]
		if !ok {
			t.Fatalf("%s: not parsed", kind)
		}
		var subj, text, html strings.Builder
		if err := et.text.ExecuteTemplate(&subj, "subject", d); err != nil {
			t.Fatal(err)
		}
		if err := et.text.ExecuteTemplate(&text, "text", d); err != nil {
			t.Fatal(err)
		}
		if err := et.html.ExecuteTemplate(&html, "html", d); err != nil {
			t.Fatal(err)
		}
		if subj.Len() == 0 || strings.Contains(subj.String(), "\n") || !strings.Contains(text.String(), "Alice") || !strings.Contains(html.String(), "Alice") {
			t.Errorf("%s: subject %q text %q", kind, subj.String(), text.String())
		}
		if strings.Contains(html.String(), "Acme <Support>") || !strings.Contains(html.String(), "Acme &lt;Support&gt;") {
			t.Errorf("%s: html not escaped", kind)
		}
		switch kind {
		case PasswordReset:
			if !strings.Contains(text.String(), "https://id.example/t/acme/login/reset?token=abc") || !strings.Contains(text.String(), "30 minutes") {
				t.Errorf("reset text: %s", text.String())
			}
		case AccountLocked:
			if !strings.Contains(text.String(), "10 failed") || !strings.Contains(text.String(), "192.0.2.7") {
				t.Errorf("lock text: %s", text.String())
			}
		}
	}
}

// contextSender records the context each email is sent with.
type contextSender struct {
	mu       sync.Mutex
	requests []*web.Exchange
	errs     []error
	out      *notify.Outbox
}

func (c *contextSender) SendEmail(ctx context.Context, m notify.Message) error {
	c.mu.Lock()
	c.requests = append(c.requests, web.From(ctx))
	c.errs = append(c.errs, ctx.Err())
	c.mu.Unlock()
	return c.out.SendEmail(ctx, m)
}

// TestNotifyAfterResponse: a notice carries the request's facts, read
// while the request is current, and is delivered after it in a context
// that is neither the request's nor cancelled with it.
func TestNotifyAfterResponse(t *testing.T) {
	cs := &contextSender{out: notify.NewOutbox(0, nil)}
	tn := &store.Tenant{ID: "t1", Slug: "acme", Name: "Acme"}
	s := newService(t, cs, tenants{"t1": tn})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0")
	ctx, cancel := context.WithCancel(web.WithExchange(t.Context(), &web.Exchange{R: r, ClientIP: "203.0.113.9"}))
	u := &store.User{ID: "u1", Email: "alice@acme.test"}
	s.Notify(ctx, tn, u, AccountLocked, map[string]any{"Minutes": 15, "Failures": 10})
	cancel() // the response is out
	s.Wait()
	mails := cs.out.Emails()
	if len(mails) != 1 || mails[0].To != "alice@acme.test" || !strings.Contains(mails[0].Text, "203.0.113.9") ||
		!strings.Contains(mails[0].Text, "Firefox") || !strings.Contains(mails[0].Text, "10 failed") {
		t.Fatalf("notice: %+v", mails)
	}
	if cs.requests[0] != nil || cs.errs[0] != nil {
		t.Fatalf("delivered in the request's context: exchange %v, err %v", cs.requests[0], cs.errs[0])
	}
	// Outside a request the address is unknown, and data overrides the facts.
	s.Notify(t.Context(), tn, u, FactorRemoved, map[string]any{"Factor": "All of them", "Device": "gatehouse user reset-mfa"})
	s.Wait()
	if m := cs.out.Emails()[0]; !strings.Contains(m.Text, "unknown address") || !strings.Contains(m.Text, "gatehouse user reset-mfa") {
		t.Fatalf("without a request: %s", m.Text)
	}
}

// TestNotifyHeldOrOff: a notice Hold takes is not sent; without a sender
// nothing is sent and Send fails.
func TestNotifyHeldOrOff(t *testing.T) {
	out := notify.NewOutbox(0, nil)
	tn := &store.Tenant{ID: "t1", Slug: "acme", Name: "Acme"}
	s := newService(t, out, tenants{"t1": tn})
	var held []string
	s.Hold = func(_ context.Context, kind string, values map[string]any) bool {
		held = append(held, kind+" "+values["Email"].(string))
		return true
	}
	s.Notify(t.Context(), tn, &store.User{ID: "u1", Email: "a@acme.test"}, FactorAdded, map[string]any{"Factor": "Passkey"})
	s.Wait()
	if len(held) != 1 || held[0] != FactorAdded+" a@acme.test" || len(out.Emails()) != 0 {
		t.Fatalf("held %v, sent %d", held, len(out.Emails()))
	}
	off := newService(t, nil, tenants{"t1": tn})
	if off.CanSend() {
		t.Fatal("CanSend without a sender")
	}
	off.Notify(t.Context(), tn, &store.User{ID: "u1", Email: "a@acme.test"}, NewDevice, nil)
	off.Wait()
	if err := off.Send(t.Context(), tn, "a@acme.test", Code, nil); !errors.Is(err, errNoSender) {
		t.Fatalf("Send without a sender: %v", err)
	}
}
