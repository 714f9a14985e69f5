package notify_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
)

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		raw  string
		want notify.SMTPEndpoint
	}{
		{"smtp://mail.example.com", notify.SMTPEndpoint{Host: "mail.example.com", Port: 587}},
		{"SMTP://mail.example.com:2525/", notify.SMTPEndpoint{Host: "mail.example.com", Port: 2525}},
		{"smtps://mail.example.com", notify.SMTPEndpoint{ImplicitTLS: true, Host: "mail.example.com", Port: 465}},
		{"smtp://apikey:SG.abc%2Fdef%3Fx@smtp.sendgrid.net:587", notify.SMTPEndpoint{Host: "smtp.sendgrid.net", Port: 587, Username: "apikey", Password: "SG.abc/def?x"}},
		{"smtp://postmaster%40mg.example.com:pa:ss@smtp.mailgun.org", notify.SMTPEndpoint{Host: "smtp.mailgun.org", Port: 587, Username: "postmaster@mg.example.com", Password: "pa:ss"}},
		{"smtp://u:p@ss@10.0.0.5:25", notify.SMTPEndpoint{Host: "10.0.0.5", Port: 25, Username: "u", Password: "p@ss"}},
		{"smtp://[::1]:1025?starttls=none", notify.SMTPEndpoint{Host: "::1", Port: 1025, STARTTLS: notify.STARTTLSNone}},
		{"smtp://localhost:1025?starttls=Opportunistic", notify.SMTPEndpoint{Host: "localhost", Port: 1025, STARTTLS: notify.STARTTLSOpportunistic}},
		{"smtp://u:p@relay.internal?starttls=mandatory", notify.SMTPEndpoint{Host: "relay.internal", Port: 587, Username: "u", Password: "p"}},
		{"  smtp://mail.example.com  ", notify.SMTPEndpoint{Host: "mail.example.com", Port: 587}},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := notify.ParseSMTPURL(tc.raw)
			if err != nil {
				t.Fatalf("ParseSMTPURL: %v", err)
			}
			if got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseSMTPURLErrorsNameThePartAndNeverThePassword(t *testing.T) {
	tests := []struct {
		raw      string
		wantPart string
	}{
		{"", "url"},
		{"mail.example.com:587", "scheme"},
		{"http://u:hunter2@mail.example.com", "scheme"},
		{"smtp://u:hunter2/x@mail.example.com", "userinfo"},
		{"smtp://u:hun?ter2@mail.example.com", "userinfo"},
		{"smtp://u:hunter2#@mail.example.com", "userinfo"},
		{"smtp://:hunter2@mail.example.com", "username"},
		{"smtp://u%zz:hunter2@mail.example.com", "username"},
		{"smtp://u@mail.example.com", "password"},
		{"smtp://u:@mail.example.com", "password"},
		{"smtp://u:hunter2%zz@mail.example.com", "password"},
		{"smtp://u:hunter2@", "host"},
		{"smtp://u:hunter2@mail_example!.com", "host"},
		{"smtp://u:hunter2@::1:25", "host"},
		{"smtp://u:hunter2@[mail.example.com]:25", "host"},
		{"smtp://u:hunter2", "port"}, // host forgotten: the password lands in the port slot
		{"smtp://u:hunter2@mail.example.com:0", "port"},
		{"smtp://u:hunter2@mail.example.com:70000", "port"},
		{"smtp://u:hunter2@mail.example.com/inbox", "path"},
		{"smtp://u:hunter2@mail.example.com#frag", "fragment"},
		{"smtp://u:hunter2@mail.example.com?tls=on", "query"},
		{"smtp://u:hunter2@mail.example.com?starttls=yes", "starttls"},
		{"smtp://u:hunter2@mail.example.com?starttls=none&starttls=none", "starttls"},
		{"smtps://u:hunter2@mail.example.com?starttls=mandatory", "starttls"},
		{"smtp://u:hunter2@localhost:1025?starttls=none", "starttls"},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			_, err := notify.ParseSMTPURL(tc.raw)
			var ue *notify.SMTPURLError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want *SMTPURLError", err)
			}
			if ue.Part != tc.wantPart {
				t.Errorf("Part = %q, want %q (%v)", ue.Part, tc.wantPart, err)
			}
			if !errors.Is(err, notify.ErrInvalidConfig) {
				t.Errorf("errors.Is(err, ErrInvalidConfig) = false")
			}
			if strings.Contains(err.Error(), "hunter") {
				t.Errorf("error quotes the password: %v", err)
			}
		})
	}
}

func TestSMTPConfigRedactsPassword(t *testing.T) {
	cfg := notify.SMTPConfig{URL: "smtp://relay:hunter2@mail.example.com:2525?starttls=opportunistic", From: "no-reply@example.com"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("smtp configured", "smtp", cfg)
	for _, out := range []string{buf.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("password printed: %s", out)
		}
		if !strings.Contains(out, "relay:REDACTED@mail.example.com:2525") {
			t.Errorf("want the redacted URL in %s", out)
		}
	}
	if !strings.Contains(buf.String(), "starttls=opportunistic") {
		t.Errorf("a non-default STARTTLS policy should be visible in logs: %s", buf.String())
	}
	bad := notify.SMTPConfig{URL: "smtp://relay:hun/ter2@mail.example.com"}
	if out := fmt.Sprint(bad); strings.Contains(out, "hun") {
		t.Errorf("unparseable URL printed: %s", out)
	}
	ep, _ := notify.ParseSMTPURL(cfg.URL)
	if s := fmt.Sprint(ep); strings.Contains(s, "hunter2") {
		t.Errorf("SMTPEndpoint prints the password: %s", s)
	}
}
