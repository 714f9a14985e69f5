package notify

import (
	"context"
	"errors"
	"log/slog"
)

// ConsoleSender writes every email and SMS, body included, to a logger instead of
// delivering it, so a developer running `gatehouse serve --dev` sees sign-in codes in
// the terminal.
//
// DEV ONLY. This is the one place in Gatehouse where a code is meant to appear in a log
// line; that is why it exists and why it must never be wired outside --dev: in any
// other mode it would put live one-time codes and reset links into log storage.
type ConsoleSender struct {
	log *slog.Logger
}

// NewConsoleSender logs to logger. A nil logger is a wiring bug and panics at start-up.
func NewConsoleSender(logger *slog.Logger) *ConsoleSender {
	if logger == nil {
		panic("notify: NewConsoleSender: nil logger")
	}
	return &ConsoleSender{log: logger}
}

// SendEmail logs m at Info with dev_only=true. The HTML part is summarised by size; the
// text part carries the same content.
func (c *ConsoleSender) SendEmail(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "dev email, not delivered",
		slog.Bool("dev_only", true),
		slog.String("to", m.To),
		slog.String("from_name", m.FromName),
		slog.String("subject", m.Subject),
		slog.String("text", m.Text),
		slog.Int("html_bytes", len(m.HTML)),
	)
	return nil
}

// SendSMS logs s at Info with dev_only=true.
func (c *ConsoleSender) SendSMS(ctx context.Context, s SMS) error {
	if err := s.validate(); err != nil {
		return err
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "dev sms, not delivered",
		slog.Bool("dev_only", true),
		slog.String("to", s.To),
		slog.String("body", s.Body),
	)
	return nil
}

// MultiEmail sends each email through every sender in order (a tee: dev mode uses
// MultiEmail{outbox, console}). Every sender is tried even if an earlier one fails;
// the failures come back joined, so errors.Is/As and IsTemporary see each of them.
type MultiEmail []EmailSender

// SendEmail implements EmailSender.
func (ms MultiEmail) SendEmail(ctx context.Context, m Message) error {
	var errs []error
	for _, s := range ms {
		if err := s.SendEmail(ctx, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// MultiSMS is MultiEmail for text messages.
type MultiSMS []SMSSender

// SendSMS implements SMSSender.
func (ms MultiSMS) SendSMS(ctx context.Context, s SMS) error {
	var errs []error
	for _, sender := range ms {
		if err := sender.SendSMS(ctx, s); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
