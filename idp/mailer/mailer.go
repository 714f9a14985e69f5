package mailer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/device"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// deliveryTimeout bounds one background delivery.
const deliveryTimeout = 30 * time.Second

// Tenants gives a tenant's current settings (the sender name may have
// changed since the request resolved the tenant). *tenant.Tenants is one.
type Tenants interface {
	ByID(ctx context.Context, id string) (*store.Tenant, error)
}

// Service sends the security emails. The root builds it in idp.New; it
// must not be copied after first use.
type Service struct {
	// Sender delivers the emails; nil means email is off: notices are only
	// logged as not sent and Send fails.
	Sender notify.EmailSender
	// Templates are the parsed emails (ParseTemplates).
	Templates *Templates
	// Tenants gives the tenant's sender name at send time.
	Tenants Tenants
	Clock   func() time.Time
	Logger  *slog.Logger
	// Hold, when it reports true, has taken a notice to send later: the
	// root's sensitive-action guard folds the notices of one guarded
	// request into the action's one email. nil holds nothing.
	Hold func(ctx context.Context, kind string, values map[string]any) bool

	background sync.WaitGroup // deliveries after the response
}

// errNoSender: Send without an email sender (callers check CanSend first).
var errNoSender = errors.New("mailer: no email sender configured")

// CanSend reports whether an email can be sent at all.
func (s *Service) CanSend() bool { return s.Sender != nil }

// Send renders email kind with data (plus TenantName and SenderName) and
// sends it to one address now, returning the sender's error.
func (s *Service) Send(ctx context.Context, t *store.Tenant, to, kind string, data map[string]any) error {
	if s.Sender == nil {
		return errNoSender
	}
	et, ok := s.Templates.m[kind]
	if !ok {
		return fmt.Errorf("mailer: unknown email %q", kind)
	}
	set := t.Settings
	if tt, err := s.Tenants.ByID(ctx, t.ID); err == nil {
		set = tt.Settings
	}
	from := set.Sender(t.Name)
	d := map[string]any{"TenantName": t.Name, "SenderName": from}
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
	return s.Sender.SendEmail(ctx, notify.Message{To: to, Subject: strings.TrimSpace(subj.String()),
		Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String(), FromName: from})
}

// Notify emails u a notice of kind: the when and where of ctx's request
// (Name, Email, Time, IP, Device) plus data. It is sent after the response,
// in the background; a failure is logged, and the change it reports stands.
func (s *Service) Notify(ctx context.Context, t *store.Tenant, u *store.User, kind string, data map[string]any) {
	values := s.facts(ctx, u)
	for k, v := range data {
		values[k] = v
	}
	s.SendValues(ctx, t, u, kind, values)
}

// facts is the template data every notice carries: who, when, and the
// request's address and browser, read now, while the request is current.
// Link, Minutes and Failures are zero unless a notice sets them.
func (s *Service) facts(ctx context.Context, u *store.User) map[string]any {
	x := web.From(ctx)
	ip := x.IP()
	if ip == "" {
		ip = "unknown address"
	}
	name := u.Name
	if name == "" {
		name = u.Email
	}
	return map[string]any{"Name": name, "Email": u.Email, "Time": s.Clock().UTC().Format("2 January 2006 15:04 UTC"),
		"IP": ip, "Device": device.Describe(x.UserAgent()).Label, "Link": "", "Minutes": 0, "Failures": 0}
}

// SendValues sends kind to u with values already assembled (Notify's, or a
// held notice's), in the background, unless Hold takes it. Without an email
// sender it only logs that nothing was sent.
func (s *Service) SendValues(ctx context.Context, t *store.Tenant, u *store.User, kind string, values map[string]any) {
	if s.Hold != nil && s.Hold(ctx, kind, values) {
		return
	}
	if s.Sender == nil {
		s.Logger.Warn("email not sent: no email sender configured", "tenant", t.Slug, "kind", kind, "user_id", u.ID)
		return
	}
	// The delivery outlives the request: everything it needs of the request
	// is in values, and it runs under its own deadline in a context that
	// carries nothing of the request (not its cancellation, not its writer).
	to, userID := u.Email, u.ID
	bg, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		defer cancel()
		if err := s.Send(bg, t, to, kind, values); err != nil {
			s.Logger.Error("send email", "tenant", t.Slug, "kind", kind, "user_id", userID, "err", err)
		}
	}()
}

// Wait blocks until the emails being sent in the background have been
// delivered or failed, so a short-lived process (a CLI command, a server
// shutting down) does not exit with a notice unsent. Each delivery is
// bounded by its own deadline.
func (s *Service) Wait() { s.background.Wait() }
