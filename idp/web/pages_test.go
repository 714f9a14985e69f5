package web

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
)

func TestCSPFormAction(t *testing.T) {
	d := &Page{FormActions: []string{"https://accounts.google.com", "https://x.test; script-src *", ""}}
	csp := CSP(d)
	if !strings.Contains(csp, "form-action 'self' https://accounts.google.com;") || strings.Contains(csp, "script-src *") || strings.Contains(csp, "x.test") {
		t.Fatalf("csp: %s", csp)
	}
	if csp := CSP(struct{}{}); !strings.Contains(csp, "form-action 'self';") {
		t.Fatalf("default csp: %s", csp)
	}
	type embedding struct{ *Page }
	if csp := CSP(embedding{d}); !strings.Contains(csp, "https://accounts.google.com") {
		t.Fatalf("a page embedding Page must keep its form actions: %s", csp)
	}
}

// TestPhoneFriendlyCodeFields: the reset form's code field takes backup
// codes (letters), so it must not ask phones for a number pad; backup codes
// never wrap at their hyphen.
func TestPhoneFriendlyCodeFields(t *testing.T) {
	p, err := NewPages(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	p.Render(rec, 200, "password", &PasswordPage{Page: Page{Title: "Reset"}, AskCode: true})
	body := rec.Body.String()
	i := strings.Index(body, `id="code"`)
	if i < 0 {
		t.Fatal("no code field")
	}
	field := body[strings.LastIndex(body[:i], "<input"):]
	field = field[:strings.Index(field, ">")]
	if strings.Contains(field, `inputmode="numeric"`) {
		t.Fatalf("the reset code field asks for digits only: %s", field)
	}
	css, err := fs.ReadFile(p.Static, "gatehouse.css")
	if err != nil || !strings.Contains(string(css), ".codes code { white-space: nowrap; }") {
		t.Fatalf("backup codes may wrap: %v", err)
	}
}

// TestOutboxLinks: a link in a message is a link on the outbox page (the
// password reset is clickable in dev mode); the rest stays text, escaped.
func TestOutboxLinks(t *testing.T) {
	got := linkParts("Reset: https://id.test/t/a/login/reset?token=x&y=1 <b>now</b>\nhttp://127.0.0.1:8080/x")
	if len(got) != 4 || got[1].URL != "https://id.test/t/a/login/reset?token=x&y=1" || got[3].URL != "http://127.0.0.1:8080/x" ||
		got[2].URL != "" || got[2].Text != " <b>now</b>\n" {
		t.Fatalf("parts: %+v", got)
	}
	p, err := NewPages(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	o := notify.NewOutbox(0, nil)
	_ = o.SendEmail(context.Background(), notify.Message{To: "a@x.test", Subject: "Reset", Text: "Open https://id.test/r?t=1 <script>"})
	rec := httptest.NewRecorder()
	p.Outbox(o).ServeHTTP(rec, httptest.NewRequest("GET", "/dev/outbox", nil))
	body := rec.Body.String()
	if !strings.Contains(body, `<a href="https://id.test/r?t=1">https://id.test/r?t=1</a>`) || strings.Contains(body, "<script>") {
		t.Fatalf("outbox page: %s", body)
	}
}
