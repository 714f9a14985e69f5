// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on 127.0.0.1:0
// for tests: STARTTLS or implicit TLS with a self-signed certificate made at start-up,
// optional AUTH PLAIN, and every accepted message kept and parsed (subject, text part,
// HTML part). End-to-end tests use WaitFor to read the code Gatehouse just mailed.
//
//	srv := smtptest.Start(t, smtptest.Options{Username: "relay", Password: "s3cret"})
//	sender, _ := notify.NewSMTPSender(notify.SMTPConfig{URL: srv.URL(), From: "gh@example.com", RootCAs: srv.RootCAs()})
//	...
//	msg, err := srv.WaitFor("agent@example.com", 5*time.Second)
//
// It is test support only: it must NOT import idp/store, other idp packages, or notify
// itself (notify's tests import it).
package smtptest
