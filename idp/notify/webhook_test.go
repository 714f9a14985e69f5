package notify_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/notify/smstest"
)

const webhookSecret = "whsec_0123456789abcdef0123456789abcdef"

// repeatByte is an endless reader of one byte, a deterministic "random" source.
type repeatByte byte

func (r repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func newWebhook(t *testing.T, cfg notify.WebhookConfig) *notify.WebhookSender {
	t.Helper()
	s, err := notify.NewWebhookSender(cfg)
	if err != nil {
		t.Fatalf("NewWebhookSender: %v", err)
	}
	return s
}

func TestWebhookSignsExactlyWhatItSends(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	var gotHeader http.Header
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHeader = r.Header.Clone()
		gotBody, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	cfg := notify.WebhookConfig{URL: srv.URL, Secret: webhookSecret, Clock: func() time.Time { return at }, Rand: repeatByte(0xab)}
	if err := newWebhook(t, cfg).SendSMS(context.Background(), notify.SMS{To: "+14155550123", Body: "code 482913"}); err != nil {
		t.Fatal(err)
	}
	var p notify.WebhookPayload
	if err := json.Unmarshal(gotBody, &p); err != nil {
		t.Fatalf("body %s: %v", gotBody, err)
	}
	want := notify.WebhookPayload{To: "+14155550123", Body: "code 482913", ID: strings.Repeat("ab", 16), Timestamp: 1_700_000_000}
	if p != want {
		t.Errorf("payload = %+v, want %+v", p, want)
	}
	if ct := gotHeader.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if ts := gotHeader.Get("X-Gatehouse-Timestamp"); ts != "1700000000" {
		t.Errorf("timestamp header = %q", ts)
	}
	// Recompute the signature independently of the package.
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	mac.Write([]byte("1700000000." + string(gotBody)))
	if sig, want := gotHeader.Get("X-Gatehouse-Signature"), "v1="+hex.EncodeToString(mac.Sum(nil)); sig != want {
		t.Errorf("signature = %q, want %q", sig, want)
	}
	if notify.SignWebhook(webhookSecret, 1_700_000_000, gotBody) != gotHeader.Get("X-Gatehouse-Signature") {
		t.Error("SignWebhook disagrees with the sender")
	}
}

func TestVerifyWebhook(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"to":"+14155550123","body":"code 482913","id":"abc","timestamp":1700000000}`)
	ts := "1700000000"
	sig := notify.SignWebhook(webhookSecret, 1_700_000_000, body)
	old := strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)
	future := strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10)
	tests := []struct {
		name      string
		secret    string
		ts, sig   string
		body      []byte
		tolerance time.Duration
		want      error
	}{
		{"valid", webhookSecret, ts, sig, body, 0, nil},
		{"valid among rotated secrets", webhookSecret, ts, "v1=" + strings.Repeat("00", 32) + ", " + sig, body, 0, nil},
		{"4m59s old is inside the default window", webhookSecret, ts, sig, body, 0, nil},
		{"wrong secret", "whsec_another_secret_of_enough_length__", ts, sig, body, 0, notify.ErrWebhookSignature},
		{"tampered body", webhookSecret, ts, sig, bytes.Replace(body, []byte("482913"), []byte("000000"), 1), 0, notify.ErrWebhookSignature},
		{"timestamp changed", webhookSecret, "1700000001", sig, body, 0, notify.ErrWebhookSignature},
		{"unknown scheme only", webhookSecret, ts, strings.Replace(sig, "v1=", "v0=", 1), body, 0, notify.ErrWebhookSignature},
		{"truncated signature", webhookSecret, ts, sig[:20], body, 0, notify.ErrWebhookSignature},
		{"no signature", webhookSecret, ts, "", body, 0, notify.ErrWebhookSignature},
		{"no timestamp", webhookSecret, "", sig, body, 0, notify.ErrWebhookTimestamp},
		{"malformed timestamp", webhookSecret, "17e8", sig, body, 0, notify.ErrWebhookTimestamp},
		{"negative timestamp", webhookSecret, "-1", sig, body, 0, notify.ErrWebhookTimestamp},
		{"replayed after 6 minutes", webhookSecret, old, notify.SignWebhook(webhookSecret, now.Add(-6*time.Minute).Unix(), body), body, 0, notify.ErrWebhookExpired},
		{"6 minutes in the future", webhookSecret, future, notify.SignWebhook(webhookSecret, now.Add(6*time.Minute).Unix(), body), body, 0, notify.ErrWebhookExpired},
		{"old but inside a wider window", webhookSecret, old, notify.SignWebhook(webhookSecret, now.Add(-6*time.Minute).Unix(), body), body, 10 * time.Minute, nil},
		{"no secret", "", ts, sig, body, 0, notify.ErrWebhookSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at := now
			if strings.HasPrefix(tc.name, "4m59s") {
				at = now.Add(4*time.Minute + 59*time.Second)
			}
			err := notify.VerifyWebhook(tc.secret, tc.ts, tc.sig, tc.body, at, tc.tolerance)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), webhookSecret) {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestWebhookEndToEnd(t *testing.T) {
	wh := smstest.StartWebhook(t, webhookSecret)
	sender := newWebhook(t, wh.Config())
	if err := sender.SendSMS(context.Background(), notify.SMS{To: "+14155550123", Body: "Your code is 482913"}); err != nil {
		t.Fatal(err)
	}
	got, err := wh.WaitFor("+14155550123", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got.Body != "Your code is 482913" || len(got.ID) != 32 {
		t.Fatalf("got %+v", got)
	}
	if r := wh.Rejected(); len(r) != 0 {
		t.Fatalf("rejected: %v", r)
	}
}

func TestWebhookRefusals(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(*notify.WebhookConfig)
		prepare   func(*smstest.Webhook)
		status    int
		rejection error
		temporary bool
	}{
		{
			name:      "wrong secret",
			mutate:    func(c *notify.WebhookConfig) { c.Secret = "whsec_not_the_receivers_secret_000000" },
			status:    401,
			rejection: notify.ErrWebhookSignature,
		},
		{
			name:      "sender clock 10 minutes behind: refused as a replay",
			mutate:    func(c *notify.WebhookConfig) { c.Clock = func() time.Time { return time.Now().Add(-10 * time.Minute) } },
			status:    401,
			rejection: notify.ErrWebhookExpired,
		},
		{
			name:      "receiver unavailable is temporary",
			prepare:   func(wh *smstest.Webhook) { wh.FailNext(http.StatusServiceUnavailable) },
			status:    503,
			temporary: true,
		},
		{
			name:    "receiver says bad request: permanent",
			prepare: func(wh *smstest.Webhook) { wh.FailNext(http.StatusBadRequest) },
			status:  400,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wh := smstest.StartWebhook(t, webhookSecret)
			cfg := wh.Config()
			if tc.mutate != nil {
				tc.mutate(&cfg)
			}
			if tc.prepare != nil {
				tc.prepare(wh)
			}
			err := newWebhook(t, cfg).SendSMS(context.Background(), notify.SMS{To: "+14155550123", Body: "code 482913"})
			var we *notify.WebhookError
			if !errors.As(err, &we) || we.Status != tc.status {
				t.Fatalf("err = %v, want *WebhookError %d", err, tc.status)
			}
			if notify.IsTemporary(err) != tc.temporary {
				t.Errorf("IsTemporary = %v, want %v", notify.IsTemporary(err), tc.temporary)
			}
			if strings.Contains(err.Error(), "482913") || strings.Contains(err.Error(), "whsec_") {
				t.Errorf("error leaks body or secret: %v", err)
			}
			rejected := wh.Rejected()
			if tc.rejection != nil && (len(rejected) != 1 || !errors.Is(rejected[0], tc.rejection)) {
				t.Errorf("receiver rejections = %v, want %v", rejected, tc.rejection)
			}
			if n := len(wh.Messages()); n != 0 {
				t.Errorf("receiver accepted %d messages", n)
			}
		})
	}
}

func TestWebhookReceiverDeduplicatesRetries(t *testing.T) {
	wh := smstest.StartWebhook(t, webhookSecret)
	cfg := wh.Config()
	cfg.Rand = repeatByte(7) // every message gets the same id, like a resend of one message
	sender := newWebhook(t, cfg)
	for range 2 {
		if err := sender.SendSMS(context.Background(), notify.SMS{To: "+14155550123", Body: "code 1"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(wh.Messages()); n != 1 {
		t.Fatalf("receiver kept %d messages, want 1", n)
	}
}

func TestNewWebhookSenderRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]notify.WebhookConfig{
		"short secret":        {URL: "https://sms.example.com/hook", Secret: "short"},
		"plain http":          {URL: "http://sms.example.com/hook", Secret: webhookSecret},
		"credentials in url":  {URL: "https://u:p@sms.example.com/hook", Secret: webhookSecret},
		"not absolute":        {URL: "sms.example.com/hook", Secret: webhookSecret},
		"negative timeout":    {URL: "https://sms.example.com/hook", Secret: webhookSecret, Timeout: -1},
		"fragment not wanted": {URL: "https://sms.example.com/hook#x", Secret: webhookSecret},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := notify.NewWebhookSender(cfg); !errors.Is(err, notify.ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestWebhookConfigRedactsSecretAndQuery(t *testing.T) {
	cfg := notify.WebhookConfig{URL: "https://sms.example.com/hook?token=abc123", Secret: webhookSecret}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("webhook", "sms", cfg)
	for _, out := range []string{buf.String(), fmt.Sprint(cfg), fmt.Sprintf("%#v", cfg)} {
		if strings.Contains(out, "whsec_") || strings.Contains(out, "abc123") {
			t.Errorf("secret or query token printed: %s", out)
		}
		if !strings.Contains(out, "sms.example.com/hook") {
			t.Errorf("want the URL host and path in %s", out)
		}
	}
}
