package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/notify/smstest"
)

func newTwilio(t *testing.T, cfg notify.TwilioConfig) *notify.TwilioSender {
	t.Helper()
	s, err := notify.NewTwilioSender(cfg)
	if err != nil {
		t.Fatalf("NewTwilioSender: %v", err)
	}
	return s
}

func TestTwilioDelivers(t *testing.T) {
	tw := smstest.StartTwilio(t)
	sender := newTwilio(t, tw.Config("+15005550006"))
	if err := sender.SendSMS(context.Background(), notify.SMS{To: "+14155550123", Body: "Your Acme code is 482913"}); err != nil {
		t.Fatalf("SendSMS: %v", err)
	}
	got, err := tw.WaitFor("+14155550123", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got.From != "+15005550006" || got.Body != "Your Acme code is 482913" || got.AccountSID != tw.AccountSID || !strings.HasPrefix(got.SID, "SM") {
		t.Fatalf("got %+v", got)
	}
	if _, err := tw.WaitFor("+14155550123", 50*time.Millisecond); err == nil {
		t.Fatal("WaitFor returned the same message twice")
	}
}

func TestTwilioAlphanumericSender(t *testing.T) {
	tw := smstest.StartTwilio(t)
	sender := newTwilio(t, tw.Config("Acme Desk"))
	if err := sender.SendSMS(context.Background(), notify.SMS{To: "+447700900123", Body: "code 1"}); err != nil {
		t.Fatal(err)
	}
	if got, err := tw.WaitFor("+447700900123", 5*time.Second); err != nil || got.From != "Acme Desk" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestTwilioErrorReplies(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(*smstest.Twilio, *notify.TwilioConfig)
		status    int
		code      int
		temporary bool
	}{
		{
			name:   "wrong auth token",
			setup:  func(_ *smstest.Twilio, c *notify.TwilioConfig) { c.AuthToken = "not-the-token-0123456789" },
			status: 401, code: 20003,
		},
		{
			name: "unsubscribed recipient is permanent",
			setup: func(tw *smstest.Twilio, _ *notify.TwilioConfig) {
				tw.FailNext(400, 21610, "Attempt to send to unsubscribed recipient")
			},
			status: 400, code: 21610,
		},
		{
			name:   "rate limited is temporary",
			setup:  func(tw *smstest.Twilio, _ *notify.TwilioConfig) { tw.FailNext(429, 20429, "Too Many Requests") },
			status: 429, code: 20429, temporary: true,
		},
		{
			name:   "server error is temporary",
			setup:  func(tw *smstest.Twilio, _ *notify.TwilioConfig) { tw.FailNext(503, 20503, "Service Unavailable") },
			status: 503, code: 20503, temporary: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tw := smstest.StartTwilio(t)
			cfg := tw.Config("+15005550006")
			tc.setup(tw, &cfg)
			err := newTwilio(t, cfg).SendSMS(context.Background(), notify.SMS{To: "+14155550123", Body: "code 482913"})
			var te *notify.TwilioError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want *TwilioError", err)
			}
			if te.Status != tc.status || te.Code != tc.code || te.Message == "" || !strings.Contains(te.MoreInfo, fmt.Sprint(tc.code)) {
				t.Errorf("got %+v, want status %d code %d with message and more_info", te, tc.status, tc.code)
			}
			if got := notify.IsTemporary(err); got != tc.temporary {
				t.Errorf("IsTemporary = %v, want %v", got, tc.temporary)
			}
			for _, secret := range []string{tw.AuthToken, cfg.AuthToken, "482913"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks %q", err, secret)
				}
			}
			if n := len(tw.Messages()); n != 0 {
				t.Errorf("fake accepted %d messages", n)
			}
		})
	}
}

func TestTwilioNonJSONErrorAndRedirects(t *testing.T) {
	t.Run("proxy html page", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
		}))
		defer srv.Close()
		err := newTwilio(t, notify.TwilioConfig{AccountSID: "AC1", AuthToken: "tok", From: "+15005550006", APIURL: srv.URL}).
			SendSMS(context.Background(), notify.SMS{To: "+14155550123", Body: "x"})
		var te *notify.TwilioError
		if !errors.As(err, &te) || te.Status != 502 || te.Code != 0 || te.Message != "Bad Gateway" || !notify.IsTemporary(err) {
			t.Fatalf("err = %#v, want a temporary 502 with the status text", err)
		}
	})
	t.Run("a redirect is not followed, so credentials are not replayed", func(t *testing.T) {
		var elsewhere atomic.Int32
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
		defer other.Close()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
		}))
		defer srv.Close()
		err := newTwilio(t, notify.TwilioConfig{AccountSID: "AC1", AuthToken: "tok", From: "+15005550006", APIURL: srv.URL}).
			SendSMS(context.Background(), notify.SMS{To: "+14155550123", Body: "x"})
		var te *notify.TwilioError
		if !errors.As(err, &te) || te.Status != http.StatusTemporaryRedirect || notify.IsTemporary(err) {
			t.Fatalf("err = %v, want a permanent 307 error", err)
		}
		if elsewhere.Load() != 0 {
			t.Fatal("the redirect target was called")
		}
	})
}

func TestTwilioTransportFailures(t *testing.T) {
	t.Run("server gone", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		err := newTwilio(t, notify.TwilioConfig{AccountSID: "AC1", AuthToken: "tok", From: "+15005550006", APIURL: url}).
			SendSMS(context.Background(), notify.SMS{To: "+14155550123", Body: "x"})
		var te *notify.TransportError
		if !errors.As(err, &te) || !notify.IsTemporary(err) {
			t.Fatalf("err = %v, want a temporary TransportError", err)
		}
	})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client hanging up
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	t.Run("timeout", func(t *testing.T) {
		start := time.Now()
		err := newTwilio(t, notify.TwilioConfig{AccountSID: "AC1", AuthToken: "tok", From: "+15005550006", APIURL: slow.URL, Timeout: 200 * time.Millisecond}).
			SendSMS(context.Background(), notify.SMS{To: "+14155550123", Body: "x"})
		if time.Since(start) > 3*time.Second {
			t.Errorf("took %s, want about 200ms", time.Since(start))
		}
		var te *notify.TransportError
		if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || !notify.IsTemporary(err) {
			t.Fatalf("err = %v, want a temporary deadline TransportError", err)
		}
	})
	t.Run("caller cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		err := newTwilio(t, notify.TwilioConfig{AccountSID: "AC1", AuthToken: "tok", From: "+15005550006", APIURL: slow.URL}).
			SendSMS(ctx, notify.SMS{To: "+14155550123", Body: "x"})
		if !errors.Is(err, context.Canceled) || notify.IsTemporary(err) {
			t.Fatalf("err = %v, want a non-temporary cancellation", err)
		}
	})
}

func TestSMSValidation(t *testing.T) {
	tw := smstest.StartTwilio(t)
	sender := newTwilio(t, tw.Config("+15005550006"))
	for name, sms := range map[string]notify.SMS{
		"national format": {To: "0415 555 0123", Body: "x"},
		"no plus":         {To: "14155550123", Body: "x"},
		"leading zero":    {To: "+04155550123", Body: "x"},
		"too long":        {To: "+1234567890123456", Body: "x"},
		"empty body":      {To: "+14155550123", Body: " \n"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := sender.SendSMS(context.Background(), sms); !errors.Is(err, notify.ErrInvalidMessage) {
				t.Fatalf("err = %v, want ErrInvalidMessage", err)
			}
		})
	}
	if n := len(tw.Messages()); n != 0 {
		t.Fatalf("fake got %d messages", n)
	}
}

func TestNewTwilioSenderRejectsBadConfig(t *testing.T) {
	ok := notify.TwilioConfig{AccountSID: "AC0123", AuthToken: "tok", From: "+15005550006"}
	for name, mutate := range map[string]func(*notify.TwilioConfig){
		"no sid":             func(c *notify.TwilioConfig) { c.AccountSID = "" },
		"sid with slash":     func(c *notify.TwilioConfig) { c.AccountSID = "AC1/../x" },
		"no token":           func(c *notify.TwilioConfig) { c.AuthToken = "" },
		"from not a number":  func(c *notify.TwilioConfig) { c.From = "415-555-0123" },
		"sender id too long": func(c *notify.TwilioConfig) { c.From = "AcmeHelpdesk1" },
		"plain http":         func(c *notify.TwilioConfig) { c.APIURL = "http://api.twilio.com" },
		"credentials in url": func(c *notify.TwilioConfig) { c.APIURL = "https://AC1:tok@api.twilio.com" },
		"relative url":       func(c *notify.TwilioConfig) { c.APIURL = "/api" },
		"negative timeout":   func(c *notify.TwilioConfig) { c.Timeout = -1 },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := ok
			mutate(&cfg)
			_, err := notify.NewTwilioSender(cfg)
			if !errors.Is(err, notify.ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
			if strings.Contains(err.Error(), "tok@") {
				t.Errorf("error quotes credentials: %v", err)
			}
		})
	}
	if _, err := notify.NewTwilioSender(ok); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}

func TestTwilioConfigRedactsToken(t *testing.T) {
	cfg := notify.TwilioConfig{AccountSID: "AC0123", AuthToken: "s3cr3t-token", From: "+15005550006"}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("sms configured", "twilio", cfg)
	for _, out := range []string{buf.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("token printed: %s", out)
		}
		if !strings.Contains(out, "AC0123") || !strings.Contains(out, "REDACTED") {
			t.Errorf("want sid and REDACTED in %s", out)
		}
	}
}
