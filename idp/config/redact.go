package config

import (
	"log/slog"
	"net/url"
	"strings"
)

// LogValue renders c for log/slog with every secret redacted: the master
// key, passwords in database_url, smtp.url and the SMS URLs, the Twilio auth
// token and the webhook secret read "<redacted>" (empty when unset, so a log
// still shows whether they are configured).
func (c Config) LogValue() slog.Value {
	// s prints the option at dotted key under its last segment.
	s := func(key, v string) slog.Attr {
		return slog.String(key[strings.LastIndexByte(key, '.')+1:], showValue(key, v))
	}
	return slog.GroupValue(
		s("database_url", c.DatabaseURL),
		s("public_url", c.PublicURL),
		s("listen", c.Listen),
		s("master_key", c.MasterKey),
		slog.Bool("allow_insecure_http", c.AllowInsecureHTTP),
		slog.Bool("dev", c.Dev),
		s("data_dir", c.DataDir),
		slog.Any("trusted_proxies", c.TrustedProxies),
		s("log_level", c.LogLevel),
		s("log_format", c.LogFormat),
		slog.Group("smtp",
			s("smtp.url", c.SMTP.URL),
			s("smtp.from", c.SMTP.From)),
		slog.Group("sms",
			s("sms.provider", c.SMS.Provider),
			slog.Group("twilio",
				s("sms.twilio.account_sid", c.SMS.Twilio.AccountSID),
				s("sms.twilio.auth_token", c.SMS.Twilio.AuthToken),
				s("sms.twilio.from", c.SMS.Twilio.From),
				s("sms.twilio.api_url", c.SMS.Twilio.APIURL)),
			slog.Group("webhook",
				s("sms.webhook.url", c.SMS.Webhook.URL),
				s("sms.webhook.secret", c.SMS.Webhook.Secret))),
		s("geoip_db", c.GeoIPDB),
		slog.Group("database",
			slog.Int("max_conns", c.Database.MaxConns),
			slog.Int("min_conns", c.Database.MinConns)),
		slog.Group("argon2",
			slog.Uint64("memory_kib", uint64(c.Argon2.MemoryKiB)),
			slog.Uint64("iterations", uint64(c.Argon2.Iterations)),
			slog.Uint64("parallelism", uint64(c.Argon2.Parallelism)),
			slog.Int("max_concurrent", c.Argon2.MaxConcurrent)),
	)
}

// String renders c like LogValue, secrets redacted, so that fmt's %v and %s
// cannot print the master key by accident.
func (c Config) String() string { return c.LogValue().String() }

// GoString does the same for %#v.
func (c Config) GoString() string { return "config.Config" + c.String() }

// secretParams are URL query parameters that carry a password (libpq reads
// password and sslpassword from a postgres:// query string).
var secretParams = []string{"password", "sslpassword", "token", "secret"}

// redactURL returns raw with any password part replaced by <redacted>:
// user:pass@ becomes user:<redacted>@ and secret query parameters are
// masked. Anything it cannot take apart safely (a URL that does not parse,
// an opaque "user:pass@host", a key=value connection string) is redacted
// whole; a plain file path is returned as is.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	if !strings.Contains(raw, "://") {
		if strings.Contains(raw, "@") || reKeyValueDSN.MatchString(raw) {
			return redacted
		}
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return redacted
	}
	const mask = "REDACTED" // survives URL escaping unchanged
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), mask)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for name := range q {
			for _, p := range secretParams {
				if strings.EqualFold(name, p) {
					q.Set(name, mask)
				}
			}
		}
		u.RawQuery = q.Encode()
	}
	return strings.ReplaceAll(u.String(), mask, redacted)
}
