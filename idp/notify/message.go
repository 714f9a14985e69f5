package notify

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
)

// Message is one email. To is a single RFC 5322 address ("a@example.com" or
// "Ann <a@example.com>"). Text and HTML are alternative renderings of the same content;
// at least one must be set, and both should be. FromName, when set, replaces the display
// name of the configured From address for this message only (tenants may brand their
// mail); the sending address itself never changes, so SPF/DKIM alignment is kept.
type Message struct {
	To       string
	Subject  string
	Text     string
	HTML     string
	FromName string
}

// SMS is one text message. To is an E.164 number such as "+14155550123".
type SMS struct {
	To   string
	Body string
}

// EmailSender delivers one email.
type EmailSender interface {
	SendEmail(ctx context.Context, m Message) error
}

// SMSSender delivers one text message.
type SMSSender interface {
	SendSMS(ctx context.Context, s SMS) error
}

// ErrInvalidMessage reports a Message or SMS that cannot be sent as given (bad recipient,
// empty body). It is the caller's bug or bad user data; retrying will not help.
var ErrInvalidMessage = errors.New("notify: invalid message")

// ErrInvalidConfig reports a sender configuration that cannot work.
var ErrInvalidConfig = errors.New("notify: invalid config")

// IsTemporary reports whether err, or an error it wraps, says that the same delivery may
// succeed if retried later (a 5xx from an HTTP API, an SMTP 4xx reply, a network failure).
func IsTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// TransportError is a failure to reach a provider at all: DNS, connect, TLS, a timeout,
// or a broken connection before a complete response arrived. The request may or may not
// have been delivered; Temporary reports true unless the caller cancelled the context.
type TransportError struct {
	Provider string // "twilio", "webhook"
	Err      error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("notify: %s: transport: %v", e.Provider, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// Temporary reports whether a retry may succeed.
func (e *TransportError) Temporary() bool { return !errors.Is(e.Err, context.Canceled) }

// e164 is the ITU-T E.164 shape: a plus, a non-zero country digit, at most 15 digits.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// ValidE164 reports whether s is a phone number in E.164 form.
func ValidE164(s string) bool { return e164.MatchString(s) }

func (s SMS) validate() error {
	if !ValidE164(s.To) {
		return fmt.Errorf("%w: sms recipient is not an E.164 number", ErrInvalidMessage)
	}
	if strings.TrimSpace(s.Body) == "" {
		return fmt.Errorf("%w: sms body is empty", ErrInvalidMessage)
	}
	return nil
}

// recipient parses m.To as exactly one address.
func (m Message) recipient() (*mail.Address, error) {
	if strings.ContainsAny(m.To, "\r\n") {
		return nil, fmt.Errorf("%w: email recipient contains a line break", ErrInvalidMessage)
	}
	addr, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("%w: email recipient is not a valid address: %w", ErrInvalidMessage, err)
	}
	return addr, nil
}

func (m Message) validate() error {
	if _, err := m.recipient(); err != nil {
		return err
	}
	if strings.TrimSpace(m.Text) == "" && strings.TrimSpace(m.HTML) == "" {
		return fmt.Errorf("%w: email has neither a text nor an html body", ErrInvalidMessage)
	}
	return nil
}

// maxNameRunes bounds a display name; longer tenant names are cut, not rejected.
const maxNameRunes = 100

// headerText makes s safe for a single header line: control characters (CR and LF
// included, so no header injection) become spaces, runs of spaces collapse, and the
// result is trimmed. limit > 0 cuts the result to that many runes.
func headerText(s string, limit int) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if limit > 0 && (n >= limit || space && n+1 >= limit) {
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
