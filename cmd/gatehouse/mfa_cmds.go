package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/config"
	"github.com/gatehouse-idp/gatehouse/idp/geo"
	"github.com/gatehouse-idp/gatehouse/idp/login"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Second factors (docs/mfa.md): `tenant update` flags, `user reset-mfa`,
// and the senders and GeoIP locator the server is built with.

// mfaSettings: --mfa, --mfa-methods, --remember-device-days, --sender-name,
// --sms-provider.
func mfaSettings(fs *flag.FlagSet) func(*store.TenantSettings, func(string) bool) []string {
	mode := fs.String("mfa", "", "when a second factor is required: never, always, new-device or new-location (default always)")
	methods := fs.String("mfa-methods", "", "second factors users may enroll, comma-separated: totp,sms,email,webauthn (default totp,webauthn)")
	remember := fs.Int("remember-device-days", 0, "let users skip the second factor on a browser for this many days (0: not offered)")
	sender := fs.String("sender-name", "", "display name on the tenant's emails (default: the tenant name)")
	sms := fs.String("sms-provider", "", "SMS provider for this tenant: twilio or webhook (default: the server's)")
	return func(s *store.TenantSettings, set func(string) bool) []string {
		var p []string
		if set("mfa") {
			m, err := policy.ParseMFAMode(*mode)
			if err != nil {
				p = append(p, fmt.Sprintf("--mfa must be never, always, new-device or new-location but is %q", *mode))
			} else {
				s.MFAMode = string(m)
			}
		}
		if set("mfa-methods") {
			ms, err := policy.ParseMethods(*methods)
			switch {
			case err != nil:
				p = append(p, fmt.Sprintf("--mfa-methods: %v", err))
			case len(ms) == 0:
				p = append(p, "--mfa-methods must name at least one of totp, sms, email, webauthn")
			default:
				s.MFAMethods = nil
				for _, m := range ms {
					s.MFAMethods = append(s.MFAMethods, string(m))
				}
			}
		}
		if set("remember-device-days") {
			if *remember < 0 || *remember > 365 {
				p = append(p, fmt.Sprintf("--remember-device-days must be between 0 and 365 but is %d", *remember))
			} else {
				s.RememberDeviceDays = *remember
			}
		}
		if set("sender-name") {
			if n := strings.TrimSpace(*sender); len(n) > 100 || strings.ContainsAny(n, "\r\n<>\"") {
				p = append(p, "--sender-name must be at most 100 characters without line breaks, quotes or angle brackets")
			} else {
				s.SenderName = n
			}
		}
		if set("sms-provider") {
			if v := strings.TrimSpace(*sms); v != "" && v != "twilio" && v != "webhook" {
				p = append(p, fmt.Sprintf("--sms-provider must be twilio, webhook or empty but is %q", *sms))
			} else {
				s.SMSProvider = v
			}
		}
		return p
	}
}

// mfaEffective lists the second-factor settings with defaults applied.
func mfaEffective(s store.TenantSettings) map[string]any {
	mode := s.MFAMode
	if mode == "" {
		mode = string(policy.DefaultMFAMode)
	}
	methods := slices.Clone(s.MFAMethods)
	if len(methods) == 0 {
		for _, m := range policy.DefaultMFAMethods() {
			methods = append(methods, string(m))
		}
	}
	return map[string]any{"mfa": mode, "mfa_methods": methods, "remember_device_days": s.RememberDeviceDays,
		"sender_name": s.SenderName, "sms_provider": s.SMSProvider}
}

// cmdUserResetMFA: gatehouse user reset-mfa --tenant SLUG --email EMAIL
func cmdUserResetMFA(ctx context.Context, args []string, io *cmdIO) error {
	c := newFlags("user reset-mfa", io, true)
	tenant := c.fs.String("tenant", "", "tenant slug (required)")
	email := c.fs.String("email", "", "the user's email address (required)")
	if _, err := c.parse(args); err != nil {
		return err
	}
	if *tenant == "" || *email == "" {
		return fmt.Errorf("user reset-mfa: --tenant and --email are required")
	}
	a, t, err := openTenant(ctx, c, io, *tenant)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.srv.Manage().ResetMFA(ctx, t, *email)
	if err != nil {
		return err
	}
	out := struct {
		Email          string `json:"email"`
		FactorsRemoved int64  `json:"factors_removed"`
	}{*email, n}
	return emit(c, io, out, fmt.Sprintf("removed %d second factor(s), the backup codes and remembered devices of %s; their sessions ended\n", n, *email))
}

// mfaOptions builds the senders and the locator from the configuration.
// In dev mode every email and SMS also lands in the outbox (/dev/outbox)
// and on the console; without a configured provider they land only there.
func mfaOptions(cfg *config.Config, log *slog.Logger, o *idp.Options) (closeFn func(), err error) {
	var emails notify.MultiEmail
	if cfg.SMTP.URL != "" {
		s, err := notify.NewSMTPSender(notify.SMTPConfig{URL: cfg.SMTP.URL, From: cfg.SMTP.From})
		if err != nil {
			return nil, fmt.Errorf("smtp: %w", err)
		}
		emails = append(emails, s)
	}
	o.SMSSenders = map[string]notify.SMSSender{}
	if tw := cfg.SMS.Twilio; tw.AccountSID != "" {
		s, err := notify.NewTwilioSender(notify.TwilioConfig{AccountSID: tw.AccountSID, AuthToken: tw.AuthToken, From: tw.From, APIURL: tw.APIURL})
		if err != nil {
			return nil, fmt.Errorf("sms twilio: %w", err)
		}
		o.SMSSenders["twilio"] = s
	}
	if wh := cfg.SMS.Webhook; wh.URL != "" {
		s, err := notify.NewWebhookSender(notify.WebhookConfig{URL: wh.URL, Secret: wh.Secret})
		if err != nil {
			return nil, fmt.Errorf("sms webhook: %w", err)
		}
		o.SMSSenders["webhook"] = s
	}
	o.DefaultSMSProvider = cfg.SMS.Provider
	if cfg.Dev {
		o.Outbox = notify.NewOutbox(0, nil)
		console := notify.NewConsoleSender(log)
		emails = append(emails, o.Outbox, console)
		dev := notify.MultiSMS{o.Outbox, console}
		if real := o.SMSSenders[o.DefaultSMSProvider]; real != nil {
			dev = append(dev, real)
		}
		o.SMSSenders["dev"] = dev
		o.DefaultSMSProvider = "dev"
	}
	switch len(emails) {
	case 0:
	case 1:
		o.EmailSender = emails[0]
	default:
		o.EmailSender = emails
	}
	loc, err := geo.Open(cfg.GeoIPDB)
	if err != nil {
		return nil, err
	}
	o.Locate = login.GeoLocate(loc)
	return func() { _ = loc.Close() }, nil
}
