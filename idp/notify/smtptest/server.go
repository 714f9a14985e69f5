package smtptest

import (
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// TLSMode selects how the server offers TLS.
type TLSMode int

const (
	// StartTLS listens in plain text and offers STARTTLS (port 587 style). The default.
	StartTLS TLSMode = iota
	// ImplicitTLS speaks TLS from the first byte (port 465 style, smtps://).
	ImplicitTLS
	// NoTLS listens in plain text and offers no STARTTLS, like a careless relay.
	NoTLS
)

// Options configure a Server. The zero value is a STARTTLS server without AUTH.
type Options struct {
	TLS TLSMode
	// Username and Password, when Username is set, make AUTH PLAIN mandatory before MAIL.
	Username, Password string
	// AllowInsecureAuth offers AUTH on an unencrypted connection too (go-smtp refuses by
	// default). For tests that prove the client, not the server, refuses.
	AllowInsecureAuth bool
}

// Server is a running SMTP server. All methods are safe for concurrent use.
type Server struct {
	opts Options
	srv  *smtp.Server
	ln   net.Listener
	pool *x509.CertPool
	done chan struct{}

	mu         sync.Mutex
	msgs       []Message
	taken      []bool
	changed    chan struct{} // closed and replaced whenever msgs grows
	authOK     int
	authFailed int
}

// Start starts a server and stops it when the test ends. It fails the test if the
// server cannot start.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// New starts a server on 127.0.0.1 with a free port. Call Close when done.
func New(opts Options) (*Server, error) {
	s := &Server{opts: opts, done: make(chan struct{}), changed: make(chan struct{})}
	var tlsConf *tls.Config
	if opts.TLS != NoTLS {
		cert, pool, err := selfSigned(time.Now())
		if err != nil {
			return nil, err
		}
		s.pool = pool
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if opts.TLS == ImplicitTLS {
		ln = tls.NewListener(ln, tlsConf)
	}
	s.ln = ln

	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "smtptest.localhost"
	srv.TLSConfig = tlsConf
	srv.AllowInsecureAuth = opts.AllowInsecureAuth
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 50
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv = srv
	go func() {
		defer close(s.done)
		_ = srv.Serve(ln)
	}()
	return s, nil
}

// Close stops the server and drops open connections.
func (s *Server) Close() error {
	err := s.srv.Close()
	// Close the listener too: if Serve has not registered it yet, srv.Close missed it.
	_ = s.ln.Close()
	<-s.done
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Addr is "127.0.0.1:port".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Host is always "127.0.0.1".
func (s *Server) Host() string { return "127.0.0.1" }

// Port is the port the server listens on.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// URL is the notify-style URL for this server: smtps:// for ImplicitTLS, else smtp://,
// with the credentials from Options (percent-encoded). NoTLS servers get no query: the
// client's default (mandatory STARTTLS) refuses them, which is what some tests want;
// append "?starttls=none" to talk to one anyway.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(s.Host(), strconv.Itoa(s.Port()))}
	if s.opts.TLS == ImplicitTLS {
		u.Scheme = "smtps"
	}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	return u.String()
}

// RootCAs trusts the server's self-signed certificate (nil for NoTLS).
func (s *Server) RootCAs() *x509.CertPool { return s.pool }

// Messages returns every accepted message, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	copy(out, s.msgs)
	return out
}

// AuthAttempts counts AUTH exchanges that succeeded and failed.
func (s *Server) AuthAttempts() (succeeded, failed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authOK, s.authFailed
}

// WaitFor returns the oldest message with envelope recipient to (case-insensitive) that
// no earlier WaitFor call returned, waiting up to timeout for it to arrive. Calling it
// again after a resend therefore yields the new message, not the old one.
func (s *Server) WaitFor(to string, timeout time.Duration) (Message, error) {
	want := normalize(to)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		for i, m := range s.msgs {
			if s.taken[i] || !m.sentTo(want) {
				continue
			}
			s.taken[i] = true
			s.mu.Unlock()
			return m, nil
		}
		changed, total := s.changed, len(s.msgs)
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			return Message{}, fmt.Errorf("smtptest: no new message for %s within %s (%d messages received in total)", to, timeout, total)
		}
	}
}

func (s *Server) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	s.taken = append(s.taken, false)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) countAuth(ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok {
		s.authOK++
	} else {
		s.authFailed++
	}
}

func normalize(addr string) string {
	if a, err := mail.ParseAddress(addr); err == nil {
		addr = a.Address
	}
	return strings.ToLower(strings.TrimSpace(addr))
}

// session is one SMTP conversation; go-smtp makes a new one after STARTTLS.
type session struct {
	srv      *Server
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, conn: c}, nil
}

func (s *session) AuthMechanisms() []string {
	if s.srv.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if s.srv.opts.Username == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		ok := (identity == "" || identity == username) &&
			subtle.ConstantTimeCompare([]byte(username), []byte(s.srv.opts.Username)) == 1 &&
			subtle.ConstantTimeCompare([]byte(password), []byte(s.srv.opts.Password)) == 1
		s.srv.countAuth(ok)
		if !ok {
			return smtp.ErrAuthFailed
		}
		s.authUser = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.opts.Username != "" && s.authUser == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := parse(raw)
	m.EnvelopeFrom = s.from
	m.EnvelopeTo = append([]string(nil), s.to...)
	m.AuthUser = s.authUser
	_, m.TLS = s.conn.TLSConnectionState()
	s.srv.record(m)
	return nil
}

func (s *session) Reset() { s.from, s.to = "", nil }

func (s *session) Logout() error { return nil }
