package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// DefaultSMTPTimeout bounds one whole delivery: connect, TLS, AUTH, MAIL..DATA, QUIT.
const DefaultSMTPTimeout = 15 * time.Second

// SMTPConfig configures an SMTPSender. URL holds the password: log the config itself (it
// implements slog.LogValuer and fmt.Stringer with the password redacted), never URL.
type SMTPConfig struct {
	// URL is smtp://user:pass@host:port[?starttls=...] or smtps://user:pass@host:port;
	// see ParseSMTPURL.
	URL string
	// From is the sender, "Gatehouse <no-reply@example.com>" or a bare address. Its
	// display name is the default; Message.FromName overrides it per message.
	From string
	// Timeout bounds one delivery; 0 means DefaultSMTPTimeout.
	Timeout time.Duration
	// RootCAs verifies the server certificate; nil means the system roots.
	RootCAs *x509.CertPool
	// HELO is the name sent in EHLO; empty means the local host name.
	HELO string
	// Clock stamps the Date header; nil means time.Now.
	Clock func() time.Time
	// Rand feeds Message-IDs; nil means crypto/rand.Reader.
	Rand io.Reader
}

// LogValue implements slog.LogValuer with the password redacted.
func (c SMTPConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("url", redactedSMTPURL(c.URL)),
		slog.String("from", c.From),
		slog.Duration("timeout", c.Timeout),
	)
}

// String renders the config with the password redacted, so %v and %+v are safe.
func (c SMTPConfig) String() string {
	return fmt.Sprintf("SMTPConfig{URL:%s From:%q Timeout:%s}", redactedSMTPURL(c.URL), c.From, c.Timeout)
}

// GoString keeps %#v from printing the password.
func (c SMTPConfig) GoString() string { return c.String() }

func redactedSMTPURL(raw string) string {
	if raw == "" {
		return ""
	}
	ep, err := ParseSMTPURL(raw)
	if err != nil {
		return "[invalid url, redacted]"
	}
	return ep.String()
}

// Errors an SMTPSender returns, wrapped in an *SMTPError; test with errors.Is.
var (
	// ErrSTARTTLSUnavailable: the server did not offer STARTTLS and the policy is mandatory.
	ErrSTARTTLSUnavailable = errors.New("notify: smtp server does not offer STARTTLS")
	// ErrCleartextAuth: credentials are configured but the connection is not encrypted
	// (opportunistic STARTTLS fell back to clear text). The password is not sent.
	ErrCleartextAuth = errors.New("notify: refusing to send smtp credentials over an unencrypted connection")
	// ErrSMTPAuthUnavailable: the server offers neither AUTH PLAIN nor AUTH LOGIN.
	ErrSMTPAuthUnavailable = errors.New("notify: smtp server offers no usable AUTH mechanism (PLAIN, LOGIN)")
	// ErrSMTPAuthFailed: the server rejected the username and password.
	ErrSMTPAuthFailed = errors.New("notify: smtp authentication failed")
)

// SMTPError is a failed delivery. Op says how far it got: "dial", "hello", "starttls",
// "auth" or "send". Code is the server's reply code when it sent one.
type SMTPError struct {
	Op   string
	Addr string
	Code int
	Err  error
	temp bool
}

func (e *SMTPError) Error() string {
	return fmt.Sprintf("notify: smtp %s %s: %v", e.Op, e.Addr, e.Err)
}

func (e *SMTPError) Unwrap() error { return e.Err }

// Temporary reports whether a retry may succeed: SMTP 4xx replies and network failures.
func (e *SMTPError) Temporary() bool { return e.temp }

// SMTPSender sends email through one SMTP server. It opens a fresh connection per
// message (sign-in codes are rare and latency-bound, not bulk) and is safe for
// concurrent use.
type SMTPSender struct {
	ep      SMTPEndpoint
	from    mail.Address
	timeout time.Duration
	tls     *tls.Config
	helo    string
	clock   func() time.Time
	rand    io.Reader
	mailer  *gomail.Client
}

// NewSMTPSender validates cfg and returns a sender. It does not connect.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	ep, err := ParseSMTPURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(cfg.From, "\r\n") {
		return nil, fmt.Errorf("%w: smtp from: contains a line break", ErrInvalidConfig)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("%w: smtp from: %q is not an email address: %w", ErrInvalidConfig, cfg.From, err)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: smtp timeout: must not be negative, got %s", ErrInvalidConfig, cfg.Timeout)
	}
	s := &SMTPSender{
		ep:      ep,
		from:    *from,
		timeout: cfg.Timeout,
		helo:    cfg.HELO,
		clock:   cfg.Clock,
		rand:    cfg.Rand,
		tls: &tls.Config{
			ServerName: ep.Host,
			RootCAs:    cfg.RootCAs,
			MinVersion: tls.VersionTLS12,
		},
	}
	if s.timeout == 0 {
		s.timeout = DefaultSMTPTimeout
	}
	if s.helo == "" {
		if s.helo, err = os.Hostname(); err != nil || s.helo == "" {
			s.helo = "localhost"
		}
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	// The go-mail Client runs the mail transaction (MAIL, RCPT, DATA, RSET) on connections
	// this sender opened and secured; see open.
	s.mailer, err = gomail.NewClient(ep.Host, gomail.WithTimeout(s.timeout), gomail.WithoutNoop(), gomail.WithHELO(s.helo))
	if err != nil {
		return nil, fmt.Errorf("%w: smtp: %w", ErrInvalidConfig, err)
	}
	return s, nil
}

// SendEmail delivers m, or returns *SMTPError / ErrInvalidMessage.
func (s *SMTPSender) SendEmail(ctx context.Context, m Message) error {
	msg, err := s.compose(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	client, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	if err := s.mailer.SendWithSMTPClient(client, msg); err != nil {
		return s.fail(ctx, "send", err)
	}
	// The message was accepted with the 250 after DATA; a failed QUIT changes nothing.
	_ = client.Quit()
	return nil
}

// open connects, upgrades to TLS as the policy demands and authenticates. The TLS and
// credential decisions are made here, explicitly, rather than inside go-mail's dialer,
// so that each refusal is a distinct error.
func (s *SMTPSender) open(ctx context.Context) (*smtp.Client, error) {
	dialer := &net.Dialer{}
	var conn net.Conn
	var err error
	if s.ep.ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: s.tls}).DialContext(ctx, "tcp", s.ep.Addr())
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", s.ep.Addr())
	}
	if err != nil {
		return nil, s.fail(ctx, "dial", err)
	}
	// End the conversation the moment the context ends (deadline or cancel). Closing,
	// rather than moving the deadline, cannot be undone by go-mail extending the
	// deadline when the mail transaction starts.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	client, err := s.handshake(ctx, conn)
	if err != nil {
		stop()
		_ = conn.Close()
		return nil, err
	}
	return client, nil
}

func (s *SMTPSender) handshake(ctx context.Context, conn net.Conn) (*smtp.Client, error) {
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	client, err := smtp.NewClient(conn, s.ep.Host)
	if err != nil {
		return nil, s.fail(ctx, "hello", err)
	}
	if err := client.Hello(s.helo); err != nil {
		return nil, s.fail(ctx, "hello", err)
	}
	encrypted := s.ep.ImplicitTLS
	if !encrypted && s.ep.STARTTLS != STARTTLSNone {
		offered, _ := client.Extension("STARTTLS")
		switch {
		case offered:
			if err := client.StartTLS(s.tls); err != nil {
				return nil, s.fail(ctx, "starttls", err)
			}
			encrypted = true
		case s.ep.STARTTLS == STARTTLSMandatory:
			return nil, &SMTPError{Op: "starttls", Addr: s.ep.Addr(), Err: ErrSTARTTLSUnavailable}
		}
	}
	if s.ep.Username == "" {
		return client, nil
	}
	if !encrypted {
		return nil, &SMTPError{Op: "auth", Addr: s.ep.Addr(), Err: ErrCleartextAuth}
	}
	_, mechs := client.Extension("AUTH")
	var auth smtp.Auth
	switch offered := strings.Fields(strings.ToUpper(mechs)); {
	case contains(offered, "PLAIN"):
		auth = smtp.PlainAuth("", s.ep.Username, s.ep.Password, s.ep.Host, false)
	case contains(offered, "LOGIN"):
		auth = smtp.LoginAuth(s.ep.Username, s.ep.Password, s.ep.Host, false)
	default:
		return nil, &SMTPError{Op: "auth", Addr: s.ep.Addr(), Err: ErrSMTPAuthUnavailable}
	}
	if err := client.Auth(auth); err != nil {
		e := s.fail(ctx, "auth", err)
		if e.Code >= 500 {
			e.Err = fmt.Errorf("%w: %w", ErrSMTPAuthFailed, err)
		}
		return nil, e
	}
	return client, nil
}

// fail wraps err with the stage it happened in and decides whether it is temporary.
func (s *SMTPSender) fail(ctx context.Context, op string, err error) *SMTPError {
	e := &SMTPError{Op: op, Addr: s.ep.Addr(), Err: err}
	var sendErr *gomail.SendError
	var netErr net.Error
	ctxErr := ctx.Err()
	if ctxErr == nil && errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection deadline is the context's; the I/O timer fired first.
		ctxErr = context.DeadlineExceeded
	}
	switch code := replyCode(err); {
	case ctxErr != nil:
		// Our own deadline is a temporary condition; a caller's cancel is not.
		e.temp = errors.Is(ctxErr, context.DeadlineExceeded)
		e.Err = fmt.Errorf("%w (%w)", ctxErr, err)
	case code != 0:
		e.Code = code
		e.temp = code >= 400 && code < 500
	case errors.As(err, &sendErr):
		e.Code = sendErr.ErrorCode()
		e.temp = sendErr.IsTemp()
	case errors.As(err, new(*tls.CertificateVerificationError)), errors.As(err, new(x509.HostnameError)):
		e.temp = false // a wrong certificate does not fix itself
	case errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		e.temp = true
	}
	return e
}

// replyCode is the SMTP reply code carried by err, or 0.
func replyCode(err error) int {
	var proto *textproto.Error
	if errors.As(err, &proto) {
		return proto.Code
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// compose builds the go-mail message: From (with the per-message display name), To,
// Subject, Date, Message-ID, and a text part with an HTML alternative.
func (s *SMTPSender) compose(m Message) (*gomail.Msg, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	to, _ := m.recipient()
	from := s.from
	if name := headerText(m.FromName, maxNameRunes); name != "" {
		from.Name = name
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(&from)
	msg.ToMailAddress(to)
	msg.Subject(headerText(m.Subject, 0))
	msg.SetDateWithValue(s.clock())
	id, err := s.messageID()
	if err != nil {
		return nil, err
	}
	msg.SetMessageIDWithValue(id)
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// messageID returns "random@domain-of-from", the value go-mail wraps in angle brackets.
func (s *SMTPSender) messageID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("notify: smtp: message id: reading random source: %w", err)
	}
	domain := "gatehouse.invalid"
	if at := strings.LastIndex(s.from.Address, "@"); at >= 0 {
		domain = s.from.Address[at+1:]
	}
	return hex.EncodeToString(b[:]) + "@" + domain, nil
}
