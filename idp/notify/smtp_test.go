package notify_test

import (
	"context"
	"crypto/tls"
	"errors"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/notify/smtptest"
)

var fixedNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func newSMTP(t *testing.T, srv *smtptest.Server, url string) *notify.SMTPSender {
	t.Helper()
	s, err := notify.NewSMTPSender(notify.SMTPConfig{
		URL:     url,
		From:    "Gatehouse <no-reply@gatehouse.example>",
		Timeout: 5 * time.Second,
		RootCAs: srv.RootCAs(),
		HELO:    "gatehouse.test",
		Clock:   func() time.Time { return fixedNow },
	})
	if err != nil {
		t.Fatalf("NewSMTPSender: %v", err)
	}
	return s
}

func codeMessage(to string) notify.Message {
	return notify.Message{
		To:       to,
		Subject:  "Your sign-in code",
		Text:     "Your code is 482913. It expires in 10 minutes.",
		HTML:     "<p>Your code is <b>482913</b>. It expires in 10 minutes.</p>",
		FromName: "Acme Support",
	}
}

func TestSMTPSTARTTLSWithAuthDeliversMultipart(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Username: "relay@acme.example", Password: "p@ss/w:rd?#"})
	sender := newSMTP(t, srv, srv.URL())

	if err := sender.SendEmail(context.Background(), codeMessage("Agent Smith <agent@helpdesk.example>")); err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	got, err := srv.WaitFor("agent@helpdesk.example", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got.ParseErr != nil {
		t.Fatalf("parse: %v\n%s", got.ParseErr, got.Raw)
	}
	if !got.TLS || got.AuthUser != "relay@acme.example" {
		t.Errorf("TLS=%v AuthUser=%q, want TLS and the relay user", got.TLS, got.AuthUser)
	}
	if got.EnvelopeFrom != "no-reply@gatehouse.example" {
		t.Errorf("MAIL FROM = %q", got.EnvelopeFrom)
	}
	if got.From == nil || got.From.Name != "Acme Support" || got.From.Address != "no-reply@gatehouse.example" {
		t.Errorf("From = %v, want the tenant's name on the configured address", got.From)
	}
	if len(got.To) != 1 || got.To[0].Address != "agent@helpdesk.example" || got.To[0].Name != "Agent Smith" {
		t.Errorf("To = %v", got.To)
	}
	if got.Subject != "Your sign-in code" {
		t.Errorf("Subject = %q", got.Subject)
	}
	if !strings.Contains(got.Text, "Your code is 482913.") || strings.Contains(got.Text, "<b>") {
		t.Errorf("text part = %q", got.Text)
	}
	if !strings.Contains(got.HTML, "<b>482913</b>") {
		t.Errorf("html part = %q", got.HTML)
	}
	if mt, _, _ := mime.ParseMediaType(got.Header.Get("Content-Type")); mt != "multipart/alternative" {
		t.Errorf("Content-Type = %q, want multipart/alternative", got.Header.Get("Content-Type"))
	}
	if d, err := mail.ParseDate(got.Header.Get("Date")); err != nil || !d.Equal(fixedNow) {
		t.Errorf("Date = %q (%v), want the injected clock %v", got.Header.Get("Date"), err, fixedNow)
	}
	if id := got.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@gatehouse.example>") {
		t.Errorf("Message-ID = %q", id)
	}
	for _, h := range []string{"User-Agent", "X-Mailer"} {
		if v := got.Header.Get(h); v != "" {
			t.Errorf("%s = %q, want none (do not advertise library versions)", h, v)
		}
	}
	if ok, failed := srv.AuthAttempts(); ok != 1 || failed != 0 {
		t.Errorf("auth attempts ok=%d failed=%d", ok, failed)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: smtptest.ImplicitTLS, Username: "relay", Password: "secret"})
	if !strings.HasPrefix(srv.URL(), "smtps://") {
		t.Fatalf("URL = %q", srv.URL())
	}
	sender := newSMTP(t, srv, srv.URL())
	m := codeMessage("agent@helpdesk.example")
	m.FromName = ""
	if err := sender.SendEmail(context.Background(), m); err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	got, err := srv.WaitFor("AGENT@helpdesk.example", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !got.TLS || got.AuthUser != "relay" {
		t.Errorf("TLS=%v AuthUser=%q", got.TLS, got.AuthUser)
	}
	if got.From == nil || got.From.Name != "Gatehouse" {
		t.Errorf("From = %v, want the configured default name", got.From)
	}
}

func TestSMTPHeadersAreSanitisedAndEncoded(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	sender := newSMTP(t, srv, srv.URL())
	m := notify.Message{
		To:       "agent@helpdesk.example",
		Subject:  "Código de acceso\r\nBcc: victim@evil.example",
		Text:     "código 111222",
		FromName: "Ünïcode \"Support\"\r\nBcc: victim@evil.example",
	}
	if err := sender.SendEmail(context.Background(), m); err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	got, err := srv.WaitFor("agent@helpdesk.example", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Header.Get("Bcc"); v != "" {
		t.Fatalf("injected Bcc header %q", v)
	}
	if got.Subject != "Código de acceso Bcc: victim@evil.example" {
		t.Errorf("Subject = %q", got.Subject)
	}
	if got.From == nil || got.From.Name != `Ünïcode "Support" Bcc: victim@evil.example` {
		t.Errorf("From = %#v", got.From)
	}
	if got.Text != "código 111222" || got.HTML != "" {
		t.Errorf("text=%q html=%q, want a single text part", got.Text, got.HTML)
	}
	if mt, _, _ := mime.ParseMediaType(got.Header.Get("Content-Type")); mt != "text/plain" {
		t.Errorf("Content-Type = %q", got.Header.Get("Content-Type"))
	}
}

func TestSMTPRefusals(t *testing.T) {
	tests := []struct {
		name     string
		opts     smtptest.Options
		url      func(*smtptest.Server) string
		noRoots  bool
		wantOp   string
		wantErr  error
		wantCode int
	}{
		{
			name:    "plain smtp without STARTTLS is refused by default",
			opts:    smtptest.Options{TLS: smtptest.NoTLS},
			url:     (*smtptest.Server).URL,
			wantOp:  "starttls",
			wantErr: notify.ErrSTARTTLSUnavailable,
		},
		{
			name:    "credentials never cross an unencrypted connection, even opportunistic",
			opts:    smtptest.Options{TLS: smtptest.NoTLS, Username: "relay", Password: "secret", AllowInsecureAuth: true},
			url:     func(s *smtptest.Server) string { return s.URL() + "?starttls=opportunistic" },
			wantOp:  "auth",
			wantErr: notify.ErrCleartextAuth,
		},
		{
			name:     "wrong password",
			opts:     smtptest.Options{Username: "relay", Password: "secret"},
			url:      func(s *smtptest.Server) string { return strings.Replace(s.URL(), ":secret@", ":hunter2@", 1) },
			wantOp:   "auth",
			wantErr:  notify.ErrSMTPAuthFailed,
			wantCode: 535,
		},
		{
			name:    "untrusted certificate",
			opts:    smtptest.Options{},
			url:     (*smtptest.Server).URL,
			noRoots: true,
			wantOp:  "starttls",
			wantErr: new(tls.CertificateVerificationError),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, tc.opts)
			cfg := notify.SMTPConfig{URL: tc.url(srv), From: "no-reply@gatehouse.example", Timeout: 5 * time.Second, RootCAs: srv.RootCAs()}
			if tc.noRoots {
				cfg.RootCAs = nil
			}
			sender, err := notify.NewSMTPSender(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = sender.SendEmail(context.Background(), codeMessage("agent@helpdesk.example"))
			var se *notify.SMTPError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SMTPError", err)
			}
			if se.Op != tc.wantOp || se.Code != tc.wantCode {
				t.Errorf("Op=%q Code=%d, want %q %d (%v)", se.Op, se.Code, tc.wantOp, tc.wantCode, err)
			}
			if target, ok := tc.wantErr.(*tls.CertificateVerificationError); ok {
				if !errors.As(err, &target) {
					t.Errorf("err = %v, want a certificate verification error", err)
				}
			} else if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if notify.IsTemporary(err) {
				t.Errorf("IsTemporary = true for a refusal that no retry can fix")
			}
			for _, secret := range []string{"secret", "hunter2"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks the password: %v", err)
				}
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server accepted %d messages, want none", n)
			}
			if tc.wantErr == notify.ErrCleartextAuth || tc.wantErr == notify.ErrSTARTTLSUnavailable {
				if ok, failed := srv.AuthAttempts(); ok+failed != 0 {
					t.Errorf("client attempted AUTH (%d ok, %d failed) over clear text", ok, failed)
				}
			}
		})
	}
}

func TestSMTPDevRelayPolicies(t *testing.T) {
	t.Run("starttls=none talks to a plain relay", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{TLS: smtptest.NoTLS})
		if err := newSMTP(t, srv, srv.URL()+"?starttls=none").SendEmail(context.Background(), codeMessage("a@example.com")); err != nil {
			t.Fatal(err)
		}
		got, err := srv.WaitFor("a@example.com", 5*time.Second)
		if err != nil || got.TLS {
			t.Fatalf("got TLS=%v err=%v, want a clear-text delivery", got.TLS, err)
		}
	})
	t.Run("opportunistic still upgrades when offered", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Username: "u", Password: "p"})
		if err := newSMTP(t, srv, srv.URL()+"?starttls=opportunistic").SendEmail(context.Background(), codeMessage("a@example.com")); err != nil {
			t.Fatal(err)
		}
		got, err := srv.WaitFor("a@example.com", 5*time.Second)
		if err != nil || !got.TLS {
			t.Fatalf("got TLS=%v err=%v, want STARTTLS used", got.TLS, err)
		}
	})
}

func TestSMTPNetworkFailuresAreTemporary(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		s, err := notify.NewSMTPSender(notify.SMTPConfig{URL: "smtp://" + addr, From: "no-reply@gatehouse.example"})
		if err != nil {
			t.Fatal(err)
		}
		err = s.SendEmail(context.Background(), codeMessage("a@example.com"))
		var se *notify.SMTPError
		if !errors.As(err, &se) || se.Op != "dial" || !notify.IsTemporary(err) {
			t.Fatalf("err = %v, want a temporary dial error", err)
		}
	})
	t.Run("server never greets: the timeout ends the attempt", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		t.Cleanup(func() { ln.Close(); wg.Wait() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close() // hold it open, silently, until the test ends
			}
		}()
		s, err := notify.NewSMTPSender(notify.SMTPConfig{URL: "smtp://" + ln.Addr().String(), From: "no-reply@gatehouse.example", Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = s.SendEmail(context.Background(), codeMessage("a@example.com"))
		if elapsed := time.Since(start); elapsed > 3*time.Second {
			t.Errorf("took %s, want about the 300ms timeout", elapsed)
		}
		if !errors.Is(err, context.DeadlineExceeded) || !notify.IsTemporary(err) {
			t.Fatalf("err = %v, want a temporary deadline error", err)
		}
	})
}

func TestSMTPInvalidMessagesNeverConnect(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	sender := newSMTP(t, srv, srv.URL())
	for name, m := range map[string]notify.Message{
		"no recipient":          {Subject: "s", Text: "t"},
		"two recipients":        {To: "a@example.com, b@example.com", Text: "t"},
		"not an address":        {To: "agent", Text: "t"},
		"line break in address": {To: "a@example.com\r\nRCPT TO:<b@example.com>", Text: "t"},
		"no body":               {To: "a@example.com", Subject: "s", Text: "  ", HTML: ""},
	} {
		t.Run(name, func(t *testing.T) {
			if err := sender.SendEmail(context.Background(), m); !errors.Is(err, notify.ErrInvalidMessage) {
				t.Fatalf("err = %v, want ErrInvalidMessage", err)
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("server got %d messages", n)
	}
}

func TestSMTPConcurrentSends(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Username: "u", Password: "p"})
	sender := newSMTP(t, srv, srv.URL())
	const n = 6
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- sender.SendEmail(context.Background(), codeMessage(strings.Repeat("x", i+1)+"@example.com"))
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(srv.Messages()); got != n {
		t.Fatalf("server got %d messages, want %d", got, n)
	}
}

func TestNewSMTPSenderRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]notify.SMTPConfig{
		"bad url":          {URL: "http://mail.example.com", From: "a@example.com"},
		"bad from":         {URL: "smtp://mail.example.com", From: "not an address"},
		"from with CRLF":   {URL: "smtp://mail.example.com", From: "a@example.com\r\nBcc: b@example.com"},
		"negative timeout": {URL: "smtp://mail.example.com", From: "a@example.com", Timeout: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := notify.NewSMTPSender(cfg); !errors.Is(err, notify.ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
}
