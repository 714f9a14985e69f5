// Package notify delivers the messages Gatehouse sends to people: sign-in codes, new-device
// and new-location alerts, password-reset links. It owns the channel, not the words: callers
// render the subject and bodies (templates/) and hand over a finished Message or SMS.
//
// Senders:
//
//   - SMTPSender: email over SMTP, built and transmitted with github.com/wneessen/go-mail.
//     STARTTLS is mandatory unless the URL explicitly opts out for a local dev relay, and
//     credentials are never sent over an unencrypted connection.
//   - TwilioSender: SMS through the Twilio Messages API (or anything speaking its shape).
//   - WebhookSender: SMS handed to a customer's own gateway as a signed JSON POST;
//     receivers check it with VerifyWebhook.
//   - Outbox, ConsoleSender, MultiEmail, MultiSMS: dev-mode plumbing. They keep or print
//     message bodies, codes included, and must never be wired outside --dev.
//
// Errors carry detail for logs but never a password, token, webhook secret or message
// body. Failures a retry may cure report Temporary() == true; see IsTemporary. Config
// structs implement slog.LogValuer and fmt.Stringer with secrets redacted.
//
// Test helpers live next door: notify/smtptest (a real SMTP server) and notify/smstest
// (a Twilio-shaped API and a webhook receiver).
//
// notify is a leaf: it must NOT import idp/store or any other idp package, nor templates;
// the idp layer calls it, never the reverse.
package notify
