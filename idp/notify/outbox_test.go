package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
)

var (
	_ notify.EmailSender = (*notify.SMTPSender)(nil)
	_ notify.SMSSender   = (*notify.TwilioSender)(nil)
	_ notify.SMSSender   = (*notify.WebhookSender)(nil)
	_ notify.EmailSender = (*notify.Outbox)(nil)
	_ notify.SMSSender   = (*notify.Outbox)(nil)
	_ notify.EmailSender = (*notify.ConsoleSender)(nil)
	_ notify.SMSSender   = (*notify.ConsoleSender)(nil)
	_ notify.EmailSender = notify.MultiEmail{}
	_ notify.SMSSender   = notify.MultiSMS{}
)

// tick is a clock that advances a second per call.
func tick(start time.Time) func() time.Time {
	var mu sync.Mutex
	n := 0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return start.Add(time.Duration(n) * time.Second)
	}
}

func TestOutboxKeepsNewestFirstAndDropsOldest(t *testing.T) {
	ctx := context.Background()
	box := notify.NewOutbox(3, tick(fixedNow))
	for i := 1; i <= 5; i++ {
		if err := box.SendEmail(ctx, notify.Message{To: fmt.Sprintf("u%d@example.com", i), Subject: "s", Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := box.SendSMS(ctx, notify.SMS{To: "+14155550123", Body: "code 1"}); err != nil {
		t.Fatal(err)
	}
	emails := box.Emails()
	var got []string
	for _, e := range emails {
		got = append(got, e.To)
	}
	if want := "u5@example.com u4@example.com u3@example.com"; strings.Join(got, " ") != want {
		t.Fatalf("emails = %v, want %s", got, want)
	}
	if !emails[0].At.Equal(fixedNow.Add(5*time.Second)) || !emails[2].At.Equal(fixedNow.Add(3*time.Second)) {
		t.Errorf("timestamps %v .. %v do not come from the injected clock", emails[0].At, emails[2].At)
	}
	sms := box.SMS()
	if len(sms) != 1 || sms[0].Body != "code 1" || !sms[0].At.Equal(fixedNow.Add(6*time.Second)) {
		t.Fatalf("sms = %+v", sms)
	}
	emails[0].To = "mutated"
	if box.Emails()[0].To != "u5@example.com" {
		t.Fatal("Emails returned the internal buffer")
	}
}

func TestOutboxValidatesLikeRealSenders(t *testing.T) {
	box := notify.NewOutbox(0, nil)
	if err := box.SendEmail(context.Background(), notify.Message{To: "nobody", Text: "t"}); !errors.Is(err, notify.ErrInvalidMessage) {
		t.Errorf("email err = %v", err)
	}
	if err := box.SendSMS(context.Background(), notify.SMS{To: "555-0123", Body: "x"}); !errors.Is(err, notify.ErrInvalidMessage) {
		t.Errorf("sms err = %v", err)
	}
	if len(box.Emails())+len(box.SMS()) != 0 {
		t.Fatal("invalid messages were kept")
	}
}

func TestOutboxConcurrent(t *testing.T) {
	box := notify.NewOutbox(10, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				_ = box.SendSMS(context.Background(), notify.SMS{To: "+14155550123", Body: fmt.Sprintf("%d-%d", g, i)})
				_ = box.SMS()
			}
		}()
	}
	wg.Wait()
	if n := len(box.SMS()); n != 10 {
		t.Fatalf("kept %d, want 10", n)
	}
}

func TestConsoleSenderLogsBodiesForDev(t *testing.T) {
	var buf bytes.Buffer
	c := notify.NewConsoleSender(slog.New(slog.NewJSONHandler(&buf, nil)))
	ctx := context.Background()
	if err := c.SendEmail(ctx, notify.Message{To: "a@example.com", Subject: "Your code", Text: "code 482913", HTML: "<b>482913</b>", FromName: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if err := c.SendSMS(ctx, notify.SMS{To: "+14155550123", Body: "code 777111"}); err != nil {
		t.Fatal(err)
	}
	if err := c.SendSMS(ctx, notify.SMS{To: "bad", Body: "x"}); !errors.Is(err, notify.ErrInvalidMessage) {
		t.Fatalf("err = %v", err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d log lines, want 2:\n%s", len(lines), buf.String())
	}
	var email, sms map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &email); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &sms); err != nil {
		t.Fatal(err)
	}
	if email["dev_only"] != true || email["to"] != "a@example.com" || email["subject"] != "Your code" || email["text"] != "code 482913" || email["from_name"] != "Acme" || email["html_bytes"] != float64(13) {
		t.Errorf("email line = %v", email)
	}
	if sms["dev_only"] != true || sms["to"] != "+14155550123" || sms["body"] != "code 777111" {
		t.Errorf("sms line = %v", sms)
	}
}

func TestNewConsoleSenderNilLoggerPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	notify.NewConsoleSender(nil)
}

type failingSender struct{ err error }

func (f failingSender) SendEmail(context.Context, notify.Message) error { return f.err }
func (f failingSender) SendSMS(context.Context, notify.SMS) error       { return f.err }

func TestMultiTriesEverySenderAndJoinsErrors(t *testing.T) {
	ctx := context.Background()
	box := notify.NewOutbox(5, nil)
	down := &notify.WebhookError{Status: 503}
	emails := notify.MultiEmail{failingSender{down}, box}
	err := emails.SendEmail(ctx, notify.Message{To: "a@example.com", Text: "t"})
	var we *notify.WebhookError
	if !errors.As(err, &we) || !notify.IsTemporary(err) {
		t.Fatalf("err = %v, want the first sender's temporary error", err)
	}
	if len(box.Emails()) != 1 {
		t.Fatal("the outbox after a failing sender was skipped")
	}

	boom := errors.New("boom")
	sms := notify.MultiSMS{box, failingSender{boom}, failingSender{notify.ErrInvalidMessage}}
	err = sms.SendSMS(ctx, notify.SMS{To: "+14155550123", Body: "x"})
	if !errors.Is(err, boom) || !errors.Is(err, notify.ErrInvalidMessage) {
		t.Fatalf("err = %v, want both failures joined", err)
	}
	if err := (notify.MultiSMS{box}).SendSMS(ctx, notify.SMS{To: "+14155550123", Body: "y"}); err != nil {
		t.Fatalf("all-ok Multi returned %v", err)
	}
	if len(box.SMS()) != 2 {
		t.Fatalf("outbox has %d sms", len(box.SMS()))
	}
}
