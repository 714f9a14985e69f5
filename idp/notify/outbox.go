package notify

import (
	"context"
	"sync"
	"time"
)

// DefaultOutboxSize is how many emails and how many SMS an Outbox keeps when asked for
// a non-positive size.
const DefaultOutboxSize = 50

// SentEmail is an email an Outbox recorded.
type SentEmail struct {
	At time.Time
	Message
}

// SentSMS is an SMS an Outbox recorded.
type SentSMS struct {
	At time.Time
	SMS
}

// Outbox is the dev-mode mailbox: it implements EmailSender and SMSSender by keeping the
// last N emails and the last N SMS in memory, so a dev page (or a developer) can read
// the codes. It delivers nothing. It validates like the real senders, so a message the
// outbox accepts would not be refused by SMTP or Twilio for its shape.
//
// DEV ONLY: it holds live sign-in codes in memory for anyone who can read it. Wire it
// only under --dev. Safe for concurrent use.
type Outbox struct {
	clock  func() time.Time
	mu     sync.Mutex
	emails ring[SentEmail]
	sms    ring[SentSMS]
}

// NewOutbox keeps the newest size emails and size SMS (DefaultOutboxSize if size <= 0),
// stamped by clock (time.Now if nil).
func NewOutbox(size int, clock func() time.Time) *Outbox {
	if size <= 0 {
		size = DefaultOutboxSize
	}
	if clock == nil {
		clock = time.Now
	}
	return &Outbox{clock: clock, emails: newRing[SentEmail](size), sms: newRing[SentSMS](size)}
}

// SendEmail records m.
func (o *Outbox) SendEmail(_ context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	at := o.clock()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.emails.push(SentEmail{At: at, Message: m})
	return nil
}

// SendSMS records s.
func (o *Outbox) SendSMS(_ context.Context, s SMS) error {
	if err := s.validate(); err != nil {
		return err
	}
	at := o.clock()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sms.push(SentSMS{At: at, SMS: s})
	return nil
}

// Emails returns the kept emails, newest first.
func (o *Outbox) Emails() []SentEmail {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.emails.newestFirst()
}

// SMS returns the kept SMS, newest first.
func (o *Outbox) SMS() []SentSMS {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sms.newestFirst()
}

// ring is a fixed-size buffer that overwrites its oldest entry. Not synchronised.
type ring[T any] struct {
	buf  []T
	next int // where the next push goes
	n    int // how many are filled
}

func newRing[T any](size int) ring[T] { return ring[T]{buf: make([]T, size)} }

func (r *ring[T]) push(v T) {
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
	if r.n < len(r.buf) {
		r.n++
	}
}

func (r *ring[T]) newestFirst() []T {
	out := make([]T, 0, r.n)
	for i := 1; i <= r.n; i++ {
		out = append(out, r.buf[(r.next-i+len(r.buf))%len(r.buf)])
	}
	return out
}
