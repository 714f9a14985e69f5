package smtptest_test

import (
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify/smtptest"
)

// A message written by hand, the way other mailers shape it: base64 HTML, quoted-printable
// text with a soft line break, an encoded-word subject, nested multipart.
const handWritten = "From: =?utf-8?q?S=C3=A9bastien?= <seb@example.com>\r\n" +
	"To: agent@example.com\r\n" +
	"Subject: =?utf-8?b?Q8OzZGlnbyBkZSBhY2Nlc28=?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=outer\r\n" +
	"\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"c=C3=B3digo 482913, a long line that was =\r\n" +
	"soft-wrapped\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+Y8OzZGlnbyA8Yj40ODI5MTM8L2I+PC9w\r\n" +
	"Pg==\r\n" +
	"--inner--\r\n" +
	"--outer--\r\n"

func TestParsesOtherMailersShapes(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: smtptest.NoTLS})
	if err := smtp.SendMail(srv.Addr(), nil, "seb@example.com", []string{"agent@example.com"}, []byte(handWritten)); err != nil {
		t.Fatal(err)
	}
	m, err := srv.WaitFor("Agent <AGENT@example.com>", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m.ParseErr != nil {
		t.Fatal(m.ParseErr)
	}
	if m.Subject != "Código de acceso" || m.From == nil || m.From.Name != "Sébastien" {
		t.Errorf("subject %q from %v", m.Subject, m.From)
	}
	if m.Text != "código 482913, a long line that was soft-wrapped" {
		t.Errorf("text = %q", m.Text)
	}
	if m.HTML != "<p>código <b>482913</b></p>" {
		t.Errorf("html = %q", m.HTML)
	}
	if m.TLS || m.AuthUser != "" || m.EnvelopeFrom != "seb@example.com" {
		t.Errorf("envelope: %+v", m)
	}
}

func TestWaitForHandsOutEachMessageOnceInOrder(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: smtptest.NoTLS})
	trySend := func(to, subject string) error {
		msg := "To: " + to + "\r\nSubject: " + subject + "\r\n\r\nbody\r\n"
		return smtp.SendMail(srv.Addr(), nil, "gh@example.com", []string{to}, []byte(msg))
	}
	send := func(to, subject string) {
		t.Helper()
		if err := trySend(to, subject); err != nil {
			t.Fatal(err)
		}
	}
	send("a@example.com", "first")
	send("b@example.com", "other")
	send("a@example.com", "second")

	for _, want := range []string{"first", "second"} {
		m, err := srv.WaitFor("a@example.com", time.Second)
		if err != nil || m.Subject != want {
			t.Fatalf("got %q, %v; want %q", m.Subject, err, want)
		}
	}
	if _, err := srv.WaitFor("a@example.com", 30*time.Millisecond); err == nil || !strings.Contains(err.Error(), "3 messages") {
		t.Fatalf("err = %v, want a timeout naming the total", err)
	}

	// A message that arrives while WaitFor is blocked wakes it.
	sent := make(chan error, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		sent <- trySend("c@example.com", "late")
	}()
	m, err := srv.WaitFor("c@example.com", 5*time.Second)
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if err != nil || m.Subject != "late" {
		t.Fatalf("got %q, %v", m.Subject, err)
	}
	if n := len(srv.Messages()); n != 4 {
		t.Fatalf("Messages() has %d, want 4", n)
	}
}

func TestAuthRequiredBeforeMail(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Username: "u", Password: "p"})
	// No STARTTLS, no AUTH: net/smtp upgrades when offered but cannot verify the
	// self-signed certificate, so talk plain text and expect MAIL to be refused.
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("gh@example.com"); err == nil || !strings.Contains(err.Error(), "530") && !strings.Contains(err.Error(), "502") {
		t.Fatalf("MAIL without AUTH: %v, want refused", err)
	}
	if len(srv.Messages()) != 0 {
		t.Fatal("message accepted without AUTH")
	}
}
