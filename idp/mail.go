package idp

import (
	"bytes"
	"context"
	htmltemplate "html/template"
	"net/mail"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/device"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/templates"
)

// Emails to users about their account's security (issue 5). Each kind is
// templates/emails/<kind>.txt (text/template, defines "subject" and "body")
// and <kind>.html (html/template, defines "body"). Mail is sent in the
// background with its own deadline: the page answers at once (a reset
// request for a known address takes as long as one for an unknown one),
// and a slow mail server never holds a sign-in.

// Mail kinds.
const (
	mailPasswordChanged = "password_changed"
	mailPasswordReset   = "password_reset"
	mailAccountLocked   = "account_locked"
)

var mailKinds = []string{mailPasswordChanged, mailPasswordReset, mailAccountLocked}

// mailTimeout bounds one background delivery.
const mailTimeout = 30 * time.Second

// mailData is what the email templates see.
type mailData struct {
	TenantName string
	Name       string // the user's display name, or their email
	Email      string
	Time       time.Time
	IP         string
	Device     string
	Link       string
	Minutes    int
	Failures   int
}

type mailTemplates struct {
	text map[string]*texttemplate.Template
	html map[string]*htmltemplate.Template
}

func parseMailTemplates() (*mailTemplates, error) {
	mt := &mailTemplates{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	for _, k := range mailKinds {
		tt, err := texttemplate.ParseFS(templates.FS(), "emails/"+k+".txt")
		if err != nil {
			return nil, err
		}
		ht, err := htmltemplate.ParseFS(templates.FS(), "emails/layout.html", "emails/"+k+".html")
		if err != nil {
			return nil, err
		}
		mt.text[k], mt.html[k] = tt, ht
	}
	return mt, nil
}

// mailTmpl is parsed once; the templates are embedded, so a failure is a
// build defect caught by the tests.
var mailTmpl = func() *mailTemplates {
	mt, err := parseMailTemplates()
	if err != nil {
		panic("idp: email templates: " + err.Error())
	}
	return mt
}()

// renderMail builds the message of kind for d.
func renderMail(kind string, d mailData) (subject, text, html string, err error) {
	var sb, tb, hb bytes.Buffer
	if err = mailTmpl.text[kind].ExecuteTemplate(&sb, "subject", d); err != nil {
		return
	}
	if err = mailTmpl.text[kind].ExecuteTemplate(&tb, "body", d); err != nil {
		return
	}
	if err = mailTmpl.html[kind].ExecuteTemplate(&hb, "layout", d); err != nil {
		return
	}
	return strings.TrimSpace(sb.String()), tb.String(), hb.String(), nil
}

// senderName is the display name of the tenant's mail.
func senderName(t *store.Tenant) string {
	if n := strings.TrimSpace(t.Settings.SenderName); n != "" {
		return n
	}
	return t.Name
}

// sendUserMail renders kind for u and sends it in the background. Without
// an email sender it only logs that nothing was sent.
func (s *Server) sendUserMail(ctx context.Context, t *store.Tenant, u *store.User, kind string, d mailData) {
	if s.mail == nil {
		s.log.Warn("email not sent: no email sender configured", "tenant", t.Slug, "kind", kind, "user_id", u.ID)
		return
	}
	if cur, err := s.tenants.byID(ctx, t.ID); err == nil {
		t = cur
	}
	d.TenantName, d.Email = t.Name, u.Email
	d.Name = u.Name
	if d.Name == "" {
		d.Name = u.Email
	}
	if d.Time.IsZero() {
		d.Time = s.clock()
	}
	subject, text, html, err := renderMail(kind, d)
	if err != nil {
		s.log.Error("render email", "kind", kind, "err", err)
		return
	}
	to := (&mail.Address{Name: u.Name, Address: u.Email}).String()
	msg := notify.Message{To: to, Subject: subject, Text: text, HTML: html, FromName: senderName(t)}
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailTimeout)
	go func() {
		defer cancel()
		if err := s.mail.SendEmail(bg, msg); err != nil {
			s.log.Error("send email", "tenant", t.Slug, "kind", kind, "user_id", u.ID, "err", err)
		}
	}()
}

// deviceLabel is "Firefox 120 on Linux" from a User-Agent header (idp/device).
func deviceLabel(ua string) string {
	return device.Describe(ua).Label
}
