package idp

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/device"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Emails to users about their account's security (issue 5): password
// changed, password-reset link, sign-in locked after failed attempts. They
// are templates/email/<kind>.txt and .html, rendered and sent by sendEmail
// (mfa_notify.go) with the tenant's sender name. Mail is sent in the
// background with its own deadline: the page answers at once (a reset
// request for a known address takes as long as one for an unknown one),
// and a slow mail server never holds a sign-in.

// Mail kinds (names in templates/email).
const (
	mailPasswordChanged = "password_changed"
	mailPasswordReset   = "password_reset"
	mailAccountLocked   = "account_locked"
)

// mailTimeout bounds one background delivery.
const mailTimeout = 30 * time.Second

// mailData is what a policy email needs beyond the user and the request.
type mailData struct {
	IP       string // default: the request's client address
	Device   string // default: the request's User-Agent, described
	Link     string
	Minutes  int
	Failures int
}

// mailValues is the template data of a policy email to u.
func (s *Server) mailValues(ctx context.Context, u *store.User, d mailData) map[string]any {
	x := web.From(ctx)
	if d.IP == "" {
		d.IP = x.IP()
	}
	if d.IP == "" {
		d.IP = "unknown address"
	}
	if d.Device == "" {
		d.Device = device.Describe(x.UserAgent()).Label
	}
	name := u.Name
	if name == "" {
		name = u.Email
	}
	return map[string]any{"Name": name, "Email": u.Email, "Time": s.clock().UTC().Format("2 January 2006 15:04 UTC"),
		"IP": d.IP, "Device": d.Device, "Link": d.Link, "Minutes": d.Minutes, "Failures": d.Failures}
}

// sendUserMail sends email kind to u in the background. Without an email
// sender it only logs that nothing was sent.
func (s *Server) sendUserMail(ctx context.Context, t *store.Tenant, u *store.User, kind string, d mailData) {
	s.sendUserMailValues(ctx, t, u, kind, s.mailValues(ctx, u, d))
}

// sendUserMailValues sends email kind with prepared template values.
func (s *Server) sendUserMailValues(ctx context.Context, t *store.Tenant, u *store.User, kind string, values map[string]any) {
	if holdMail(ctx, kind, values) { // inside the sensitive guard: one email per action (sensitive.go)
		return
	}
	if s.emailSender == nil {
		s.log.Warn("email not sent: no email sender configured", "tenant", t.Slug, "kind", kind, "user_id", u.ID)
		return
	}
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailTimeout)
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		defer cancel()
		if err := s.sendEmail(bg, t, u.Email, kind, values); err != nil {
			s.log.Error("send email", "tenant", t.Slug, "kind", kind, "user_id", u.ID, "err", err)
		}
	}()
}

// deviceLabel is "Firefox 120 on Linux" from a User-Agent header (idp/device).
func deviceLabel(ua string) string {
	return device.Describe(ua).Label
}

// Wait blocks until background work (emails being sent) has finished, so a
// short-lived process — a CLI command, a server shutting down — does not
// exit with a notification still unsent. Each send is bounded by mailTimeout.
func (s *Server) Wait() { s.background.Wait() }
