package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// Webhook header names.
const (
	WebhookTimestampHeader = "X-Gatehouse-Timestamp"
	WebhookSignatureHeader = "X-Gatehouse-Signature"
)

// MinWebhookSecretLen is the shortest secret a WebhookSender accepts, in bytes. Generate
// it randomly (e.g. 32 random bytes, hex-encoded).
const MinWebhookSecretLen = 32

// WebhookPayload is the JSON body a WebhookSender posts. ID is random per message:
// receivers should deduplicate on it, because a retry after a lost reply resends it.
type WebhookPayload struct {
	To        string `json:"to"`
	Body      string `json:"body"`
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"` // Unix seconds, equal to the timestamp header
}

// WebhookConfig configures a WebhookSender. Secret is a secret: the config implements
// slog.LogValuer and fmt.Stringer with it redacted (and the URL's query too).
type WebhookConfig struct {
	// URL receives the POST; https required except for loopback hosts.
	URL string
	// Secret keys the HMAC; at least MinWebhookSecretLen bytes.
	Secret string
	// Timeout bounds one call; 0 means DefaultHTTPTimeout.
	Timeout time.Duration
	// HTTPClient replaces the default client (which never follows redirects).
	HTTPClient *http.Client
	// Clock stamps requests; nil means time.Now.
	Clock func() time.Time
	// Rand feeds message ids; nil means crypto/rand.Reader.
	Rand io.Reader
}

// LogValue implements slog.LogValuer with the secret and the URL query redacted.
func (c WebhookConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("url", redactedURL(c.URL)),
		slog.String("secret", redacted(c.Secret)),
		slog.Duration("timeout", c.Timeout),
	)
}

// String renders the config with the secret and the URL query redacted.
func (c WebhookConfig) String() string {
	return fmt.Sprintf("WebhookConfig{URL:%s Secret:%s Timeout:%s}", redactedURL(c.URL), redacted(c.Secret), c.Timeout)
}

// GoString keeps %#v from printing the secret.
func (c WebhookConfig) GoString() string { return c.String() }

func redactedURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := parseAPIURL("url", raw)
	if err != nil {
		return "[invalid url, redacted]"
	}
	return redactQuery(u)
}

// WebhookError is a non-2xx reply from the receiver. The reply body is not kept: it is
// the customer's text and may echo the message.
type WebhookError struct {
	Status int
}

func (e *WebhookError) Error() string {
	return fmt.Sprintf("notify: webhook: HTTP %d %s", e.Status, http.StatusText(e.Status))
}

// Temporary reports whether a retry may succeed: 5xx, 429 and 408.
func (e *WebhookError) Temporary() bool { return statusTemporary(e.Status) }

// WebhookSender hands SMS to a customer's gateway as a signed JSON POST. Safe for
// concurrent use.
type WebhookSender struct {
	url     string
	secret  []byte
	timeout time.Duration
	client  *http.Client
	clock   func() time.Time
	rand    io.Reader
}

// NewWebhookSender validates cfg and returns a sender. It does not call the URL.
func NewWebhookSender(cfg WebhookConfig) (*WebhookSender, error) {
	u, err := parseAPIURL("webhook url", cfg.URL)
	if err != nil {
		return nil, err
	}
	if len(cfg.Secret) < MinWebhookSecretLen {
		return nil, fmt.Errorf("%w: webhook secret: must be at least %d bytes, got %d", ErrInvalidConfig, MinWebhookSecretLen, len(cfg.Secret))
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: webhook timeout: must not be negative, got %s", ErrInvalidConfig, cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultHTTPTimeout
	}
	w := &WebhookSender{
		url:     u.String(),
		secret:  []byte(cfg.Secret),
		timeout: cfg.Timeout,
		client:  newHTTPClient(cfg.HTTPClient, cfg.Timeout),
		clock:   cfg.Clock,
		rand:    cfg.Rand,
	}
	if w.clock == nil {
		w.clock = time.Now
	}
	if w.rand == nil {
		w.rand = rand.Reader
	}
	return w, nil
}

// SendSMS posts {"to","body","id","timestamp"} signed with the secret. It returns
// ErrInvalidMessage, *WebhookError for a non-2xx reply, or *TransportError.
func (w *WebhookSender) SendSMS(ctx context.Context, s SMS) error {
	if err := s.validate(); err != nil {
		return err
	}
	var id [16]byte
	if _, err := io.ReadFull(w.rand, id[:]); err != nil {
		return fmt.Errorf("notify: webhook: message id: reading random source: %w", err)
	}
	ts := w.clock().Unix()
	body, err := json.Marshal(WebhookPayload{To: s.To, Body: s.Body, ID: hex.EncodeToString(id[:]), Timestamp: ts})
	if err != nil {
		return fmt.Errorf("notify: webhook: encoding payload: %w", err)
	}

	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify: webhook: building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Gatehouse-Webhook/1")
	req.Header.Set(WebhookTimestampHeader, strconv.FormatInt(ts, 10))
	req.Header.Set(WebhookSignatureHeader, signWebhook(w.secret, ts, body))

	status, _, err := post(w.client, "webhook", req)
	if err != nil {
		return err
	}
	if status >= 200 && status < 300 {
		return nil
	}
	return &WebhookError{Status: status}
}
