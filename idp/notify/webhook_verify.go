package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultWebhookTolerance is the replay window VerifyWebhook applies when given none:
// a request whose timestamp is more than 5 minutes old (or ahead) is refused.
const DefaultWebhookTolerance = 5 * time.Minute

// Errors VerifyWebhook returns; test with errors.Is.
var (
	ErrWebhookSecret    = errors.New("notify: webhook: no secret configured")
	ErrWebhookTimestamp = errors.New("notify: webhook: missing or malformed timestamp header")
	ErrWebhookExpired   = errors.New("notify: webhook: timestamp outside the replay window")
	ErrWebhookSignature = errors.New("notify: webhook: signature does not match")
)

// maxSignatures bounds the comma-separated entries VerifyWebhook will try.
const maxSignatures = 8

// SignWebhook returns the X-Gatehouse-Signature value for a body sent at timestamp:
// "v1=" + hex(HMAC-SHA256(secret, "<timestamp>.<body>")). Receivers rarely need it
// (VerifyWebhook does the work); it is exported for their tests.
func SignWebhook(secret string, timestamp int64, body []byte) string {
	return signWebhook([]byte(secret), timestamp, body)
}

func signWebhook(secret []byte, timestamp int64, body []byte) string {
	return "v1=" + hex.EncodeToString(webhookMAC(secret, timestamp, body))
}

func webhookMAC(secret []byte, timestamp int64, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifyWebhook checks a request from a WebhookSender: timestampHeader and
// signatureHeader are the X-Gatehouse-Timestamp and X-Gatehouse-Signature values, body
// the raw request body as received (not re-encoded JSON). The signature is compared in
// constant time; then the timestamp must be within tolerance of now in either direction
// (tolerance <= 0 means DefaultWebhookTolerance), which bounds replays to that window.
// Receivers that must never act twice should also remember WebhookPayload.ID for the
// window.
//
// signatureHeader may list several comma-separated "v1=<hex>" entries (a sender
// rotating secrets); one match suffices. Other schemes are ignored.
func VerifyWebhook(secret, timestampHeader, signatureHeader string, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return ErrWebhookSecret
	}
	tsText := strings.TrimSpace(timestampHeader)
	if tsText == "" || len(tsText) > 12 || strings.Trim(tsText, "0123456789") != "" {
		return ErrWebhookTimestamp
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrWebhookTimestamp
	}
	want := webhookMAC([]byte(secret), ts, body)
	matched := false
	for i, entry := range strings.Split(signatureHeader, ",") {
		if i == maxSignatures {
			break
		}
		scheme, value, ok := strings.Cut(strings.TrimSpace(entry), "=")
		if !ok || scheme != "v1" {
			continue
		}
		got, err := hex.DecodeString(value)
		if err != nil || len(got) != sha256.Size {
			continue
		}
		if hmac.Equal(got, want) {
			matched = true
		}
	}
	if !matched {
		return ErrWebhookSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	if age := now.Sub(time.Unix(ts, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: timestamp is %s from now, window is %s", ErrWebhookExpired, age.Round(time.Second), tolerance)
	}
	return nil
}
