package idp

import (
	"bytes"
	"context"
	"errors"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/templates"
)

// Emails about second factors: the code email and the notices (factor
// added/removed, backup code used). Each is templates/email/NAME.txt
// (subject + text, text/template) and NAME.html (html/template), sent with
// the tenant's sender name.

// emailNames are the emails in templates/email.
var emailNames = []string{"code", "factor_added", "factor_removed", "backup_code_used", mailSecondFactorFailed,
	mailPasswordChanged, mailPasswordReset, mailAccountLocked, // access policies (mail.go)
	mailBlockedAttempt, mailNewDevice, mailNewLocation, // device centre (device_centre.go)
	mailAccountChanged} // sensitive account actions (sensitive.go)

type emailTemplate struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

func parseEmails() (map[string]emailTemplate, error) {
	root := templates.FS()
	out := map[string]emailTemplate{}
	for _, name := range emailNames {
		txt, err := fs.ReadFile(root, "email/"+name+".txt")
		if err != nil {
			return nil, err
		}
		tt, err := texttemplate.New(name).Option("missingkey=error").Parse(string(txt))
		if err != nil {
			return nil, err
		}
		ht, err := htmltemplate.ParseFS(root, "email/"+name+".html")
		if err != nil {
			return nil, err
		}
		out[name] = emailTemplate{text: tt, html: ht.Option("missingkey=error")}
	}
	return out, nil
}

// senderName is the display name a tenant's emails come from.
func senderName(t *store.Tenant, set store.TenantSettings) string {
	if n := strings.TrimSpace(set.SenderName); n != "" {
		return n
	}
	return t.Name
}

// sendEmail renders email `name` with data (plus TenantName, SenderName)
// and sends it to one address.
func (s *Server) sendEmail(ctx context.Context, t *store.Tenant, to, name string, data map[string]any) error {
	if s.emailSender == nil {
		return errors.New("no email sender configured")
	}
	et, ok := s.emails[name]
	if !ok {
		return errors.New("unknown email " + name)
	}
	set := t.Settings
	if tt, err := s.tenants.ByID(ctx, t.ID); err == nil {
		set = tt.Settings
	}
	d := map[string]any{"TenantName": t.Name, "SenderName": senderName(t, set)}
	for k, v := range data {
		d[k] = v
	}
	var subj, text, html bytes.Buffer
	if err := et.text.ExecuteTemplate(&subj, "subject", d); err != nil {
		return err
	}
	if err := et.text.ExecuteTemplate(&text, "text", d); err != nil {
		return err
	}
	if err := et.html.ExecuteTemplate(&html, "html", d); err != nil {
		return err
	}
	return s.emailSender.SendEmail(ctx, notify.Message{To: to, Subject: strings.TrimSpace(subj.String()),
		Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String(), FromName: senderName(t, set)})
}

// notifyUser sends a notice to the user's address with the when/where
// facts of the current request plus data (mail.go assembles and sends it, in
// the background). A failure is logged: the change it reports stands.
func (s *Server) notifyUser(ctx context.Context, t *store.Tenant, u *store.User, name string, data map[string]any) {
	values := s.mailValues(ctx, u, mailData{})
	for k, v := range data {
		values[k] = v
	}
	s.sendUserMailValues(ctx, t, u, name, values)
}
