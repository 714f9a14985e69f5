package smstest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
)

// Webhook is a receiver for notify.WebhookSender, built the way a customer's gateway
// should be: it verifies the signature and timestamp with notify.VerifyWebhook before
// reading the payload, answers 401 to anything unauthentic, and treats a repeated
// message id as already handled.
type Webhook struct {
	Secret string

	srv   *httptest.Server
	inbox *inbox[notify.WebhookPayload]

	mu       sync.Mutex
	now      func() time.Time
	seen     map[string]bool
	rejected []error
	failures []int
}

// StartWebhook starts a receiver for secret and stops it when the test ends.
func StartWebhook(t testing.TB, secret string) *Webhook {
	t.Helper()
	wh := NewWebhook(secret)
	t.Cleanup(wh.Close)
	return wh
}

// NewWebhook starts a receiver for secret. Call Close when done.
func NewWebhook(secret string) *Webhook {
	wh := &Webhook{Secret: secret, inbox: newInbox[notify.WebhookPayload](), now: time.Now, seen: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sms", wh.receive)
	wh.srv = httptest.NewServer(mux)
	return wh
}

// Close stops the server.
func (wh *Webhook) Close() { wh.srv.Close() }

// URL is where the sender should post.
func (wh *Webhook) URL() string { return wh.srv.URL + "/sms" }

// Config returns a notify.WebhookConfig that posts here with the shared secret.
func (wh *Webhook) Config() notify.WebhookConfig {
	return notify.WebhookConfig{URL: wh.URL(), Secret: wh.Secret, Timeout: 5 * time.Second}
}

// SetClock replaces the receiver's clock (default time.Now), to test the replay window.
func (wh *Webhook) SetClock(now func() time.Time) {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	wh.now = now
}

// FailNext makes the next authentic request get this HTTP status instead of 200, without
// recording it. Calls queue up.
func (wh *Webhook) FailNext(status int) {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	wh.failures = append(wh.failures, status)
}

// Messages returns every accepted payload, oldest first, each id once.
func (wh *Webhook) Messages() []notify.WebhookPayload { return wh.inbox.all() }

// Rejected returns why each refused request was refused (errors from VerifyWebhook or
// about the payload), oldest first.
func (wh *Webhook) Rejected() []error {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	return append([]error(nil), wh.rejected...)
}

// WaitFor returns the oldest accepted payload to the number to that no earlier WaitFor
// returned, waiting up to timeout.
func (wh *Webhook) WaitFor(to string, timeout time.Duration) (notify.WebhookPayload, error) {
	return wh.inbox.waitFor(to, timeout, func(p notify.WebhookPayload) bool { return p.To == to })
}

func (wh *Webhook) reject(w http.ResponseWriter, status int, err error) {
	wh.mu.Lock()
	wh.rejected = append(wh.rejected, err)
	wh.mu.Unlock()
	http.Error(w, http.StatusText(status), status)
}

func (wh *Webhook) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		wh.reject(w, http.StatusRequestEntityTooLarge, fmt.Errorf("reading body: %w", err))
		return
	}
	wh.mu.Lock()
	now := wh.now()
	wh.mu.Unlock()
	tsHeader := r.Header.Get(notify.WebhookTimestampHeader)
	if err := notify.VerifyWebhook(wh.Secret, tsHeader, r.Header.Get(notify.WebhookSignatureHeader), body, now, notify.DefaultWebhookTolerance); err != nil {
		wh.reject(w, http.StatusUnauthorized, err)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		wh.reject(w, http.StatusUnsupportedMediaType, fmt.Errorf("content type %q", r.Header.Get("Content-Type")))
		return
	}
	var p notify.WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		wh.reject(w, http.StatusBadRequest, fmt.Errorf("payload: %w", err))
		return
	}
	if strconv.FormatInt(p.Timestamp, 10) != tsHeader || p.ID == "" || p.To == "" {
		wh.reject(w, http.StatusBadRequest, errors.New("payload: timestamp differs from header, or id/to missing"))
		return
	}

	wh.mu.Lock()
	if len(wh.failures) > 0 {
		status := wh.failures[0]
		wh.failures = wh.failures[1:]
		wh.mu.Unlock()
		http.Error(w, http.StatusText(status), status)
		return
	}
	dup := wh.seen[p.ID]
	wh.seen[p.ID] = true
	wh.mu.Unlock()
	if !dup {
		wh.inbox.add(p)
	}
	w.WriteHeader(http.StatusOK)
}
