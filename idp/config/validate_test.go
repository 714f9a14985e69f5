package config

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// validProd is a complete production configuration that passes Validate.
func validProd() Config {
	c := Defaults(false)
	c.PublicURL = "https://login.example.com"
	c.MasterKey = testKey
	return c
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   string // the one option reported; "" means valid
		inText string // must appear in the error
	}{
		{"valid production", func(c *Config) {}, "", ""},

		// database_url, database.*
		{"database_url empty", func(c *Config) { c.DatabaseURL = "" }, "database_url", "is required"},
		{"database_url postgres", func(c *Config) { c.DatabaseURL = "postgres://gh:pw@db:5432/gh?sslmode=verify-full" }, "", ""},
		{"database_url postgresql", func(c *Config) { c.DatabaseURL = "postgresql:///gh?host=/run/postgresql" }, "", ""},
		{"database_url sqlite path", func(c *Config) { c.DatabaseURL = "/var/lib/gatehouse/g.db" }, "", ""},
		{"database_url other scheme", func(c *Config) { c.DatabaseURL = "mysql://db/gh" }, "database_url", "configured as 'mysql://db/gh'"},
		{"database_url bad postgres", func(c *Config) { c.DatabaseURL = "postgres://u:pw@db:port/gh" }, "database_url", "valid postgres:// URL but it's configured as '<redacted>'"},
		{"database_url key=value", func(c *Config) { c.DatabaseURL = "host=db password=pw" }, "database_url", "not a key=value connection string but it's configured as '<redacted>'"},
		{"max_conns zero", func(c *Config) { c.Database.MaxConns = 0 }, "database.max_conns", "must be 1 or more but it's configured as '0'"},
		{"min_conns above max", func(c *Config) { c.Database.MinConns = 17 }, "database.min_conns", "from 0 to database.max_conns (16)"},
		{"min_conns negative", func(c *Config) { c.Database.MinConns = -1 }, "database.min_conns", "'-1'"},

		// public_url
		{"public_url missing", func(c *Config) { c.PublicURL = "" }, "public_url", "is required"},
		{"public_url ftp", func(c *Config) { c.PublicURL = "ftp://x" }, "public_url", "config: option 'public_url' must be an absolute http(s) URL but it's configured as 'ftp://x'"},
		{"public_url relative", func(c *Config) { c.PublicURL = "login.example.com" }, "public_url", "absolute http(s) URL"},
		{"public_url no host", func(c *Config) { c.PublicURL = "https:///x" }, "public_url", "absolute http(s) URL"},
		{"public_url query", func(c *Config) { c.PublicURL = "https://x.example?a=1" }, "public_url", "query"},
		{"public_url fragment", func(c *Config) { c.PublicURL = "https://x.example#top" }, "public_url", "fragment"},
		{"public_url trailing slash", func(c *Config) { c.PublicURL = "https://x.example/a/" }, "public_url", "must not end with '/'"},
		{"public_url userinfo", func(c *Config) { c.PublicURL = "https://u:pw@x.example" }, "public_url", "user name or password"},
		{"public_url with path", func(c *Config) { c.PublicURL = "https://x.example/idp" }, "", ""},
		{"public_url plain http", func(c *Config) { c.PublicURL = "http://x.example" }, "public_url", "allow_insecure_http: true"},
		{"public_url plain http allowed", func(c *Config) { c.PublicURL = "http://x.example"; c.AllowInsecureHTTP = true }, "", ""},
		{"public_url plain http in dev", func(c *Config) { c.PublicURL = "http://127.0.0.1:8080"; c.Dev = true }, "", ""},

		// listen
		{"listen empty", func(c *Config) { c.Listen = "" }, "listen", "is required"},
		{"listen no port", func(c *Config) { c.Listen = "localhost" }, "listen", "host:port"},
		{"listen bad port", func(c *Config) { c.Listen = ":http" }, "listen", "port number"},
		{"listen port too big", func(c *Config) { c.Listen = ":70000" }, "listen", "port number"},
		{"listen ipv6", func(c *Config) { c.Listen = "[::1]:8080" }, "", ""},

		// master_key
		{"master_key missing", func(c *Config) { c.MasterKey = "" }, "master_key", "openssl rand -base64 32"},
		{"master_key missing in dev", func(c *Config) { c.MasterKey = ""; c.Dev = true }, "", ""},
		{"master_key short", func(c *Config) { c.MasterKey = "c2hvcnQta2V5" }, "master_key", "decodes to 9 bytes"},
		{"master_key not base64", func(c *Config) { c.MasterKey = "not base64 at all!!" }, "master_key", "'<redacted>'"},
		{"master_key url unpadded", func(c *Config) { c.MasterKey = testKeyB64URL }, "", ""},

		// data_dir
		{"data_dir empty", func(c *Config) { c.DataDir = "" }, "data_dir", "is required"},

		// trusted_proxies
		{"trusted_proxies valid", func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "::1"} }, "", ""},
		{"trusted_proxies garbage", func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "lb.internal"} }, "trusted_proxies", "'lb.internal'"},
		{"trusted_proxies bad prefix", func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/33"} }, "trusted_proxies", "CIDR"},
		{"trusted_proxies everyone", func(c *Config) { c.TrustedProxies = []string{"0.0.0.0/0"} }, "trusted_proxies", "must not trust every address"},

		// logging
		{"log_level", func(c *Config) { c.LogLevel = "trace" }, "log_level", "'trace'"},
		{"log_format", func(c *Config) { c.LogFormat = "xml" }, "log_format", "must be text or json"},

		// smtp
		{"smtp valid", func(c *Config) {
			c.SMTP = SMTP{URL: "smtp://u:pw@mail.example.com:587", From: "Gatehouse <login@example.com>"}
		}, "", ""},
		{"smtp.url scheme", func(c *Config) { c.SMTP = SMTP{URL: "http://mail.example.com", From: "a@example.com"} }, "smtp.url", "smtp://"},
		{"smtp.url no host", func(c *Config) { c.SMTP = SMTP{URL: "smtps://", From: "a@example.com"} }, "smtp.url", "smtps://"},
		{"smtp.from missing", func(c *Config) { c.SMTP = SMTP{URL: "smtps://mail.example.com"} }, "smtp.from", "is required"},
		{"smtp.from invalid", func(c *Config) { c.SMTP = SMTP{URL: "smtps://mail.example.com", From: "nobody"} }, "smtp.from", "email address"},

		// sms
		{"sms.provider", func(c *Config) { c.SMS.Provider = "carrier-pigeon" }, "sms.provider", "'carrier-pigeon'"},
		{"twilio valid", func(c *Config) { c.SMS.Provider = "twilio"; c.SMS.Twilio = twilioOK() }, "", ""},
		{"twilio sid", func(c *Config) { c.SMS.Provider = "twilio"; c.SMS.Twilio = twilioOK(); c.SMS.Twilio.AccountSID = "" }, "sms.twilio.account_sid", "is required"},
		{"twilio token", func(c *Config) { c.SMS.Provider = "twilio"; c.SMS.Twilio = twilioOK(); c.SMS.Twilio.AuthToken = "" }, "sms.twilio.auth_token", "is required"},
		{"twilio from", func(c *Config) { c.SMS.Provider = "twilio"; c.SMS.Twilio = twilioOK(); c.SMS.Twilio.From = "" }, "sms.twilio.from", "is required"},
		{"twilio api_url plain http", func(c *Config) {
			c.SMS.Provider = "twilio"
			c.SMS.Twilio = twilioOK()
			c.SMS.Twilio.APIURL = "http://twilio.test"
		}, "sms.twilio.api_url", "must use https"},
		{"twilio api_url not a URL", func(c *Config) {
			c.SMS.Provider = "twilio"
			c.SMS.Twilio = twilioOK()
			c.SMS.Twilio.APIURL = "api.twilio.com"
		}, "sms.twilio.api_url", "absolute http(s) URL"},
		{"webhook valid", func(c *Config) { c.SMS.Provider = "webhook"; c.SMS.Webhook = webhookOK() }, "", ""},
		{"webhook url missing", func(c *Config) { c.SMS.Provider = "webhook"; c.SMS.Webhook = webhookOK(); c.SMS.Webhook.URL = "" }, "sms.webhook.url", "is required"},
		{"webhook url bad", func(c *Config) {
			c.SMS.Provider = "webhook"
			c.SMS.Webhook = webhookOK()
			c.SMS.Webhook.URL = "mailto:x@y"
		}, "sms.webhook.url", "absolute http(s) URL"},
		{"webhook secret missing", func(c *Config) { c.SMS.Provider = "webhook"; c.SMS.Webhook = webhookOK(); c.SMS.Webhook.Secret = "" }, "sms.webhook.secret", "is required"},
		{"webhook secret short", func(c *Config) {
			c.SMS.Provider = "webhook"
			c.SMS.Webhook = webhookOK()
			c.SMS.Webhook.Secret = "short-secret"
		}, "sms.webhook.secret", "32 characters or more but it's configured as '<redacted>'"},

		// argon2: every OWASP row passes, anything below fails naming the option
		{"argon2 46MiB t1", func(c *Config) { c.Argon2.MemoryKiB, c.Argon2.Iterations = 47104, 1 }, "", ""},
		{"argon2 12MiB t3", func(c *Config) { c.Argon2.MemoryKiB, c.Argon2.Iterations = 12288, 3 }, "", ""},
		{"argon2 9MiB t4", func(c *Config) { c.Argon2.MemoryKiB, c.Argon2.Iterations = 9216, 4 }, "", ""},
		{"argon2 7MiB t5", func(c *Config) { c.Argon2.MemoryKiB, c.Argon2.Iterations = 7168, 5 }, "", ""},
		{"argon2 7MiB t10", func(c *Config) { c.Argon2.MemoryKiB, c.Argon2.Iterations = 7168, 10 }, "", ""},
		{"argon2 weak memory t2", func(c *Config) { c.Argon2.MemoryKiB = 8192 }, "argon2.memory_kib", "must be 19456 or more with argon2.iterations 2 (OWASP minimum) but it's configured as '8192'"},
		{"argon2 19MiB t1", func(c *Config) { c.Argon2.MemoryKiB, c.Argon2.Iterations = 19456, 1 }, "argon2.memory_kib", "47104 or more with argon2.iterations 1"},
		{"argon2 9MiB t3", func(c *Config) { c.Argon2.MemoryKiB, c.Argon2.Iterations = 9216, 3 }, "argon2.memory_kib", "12288 or more"},
		{"argon2 7000KiB t5", func(c *Config) { c.Argon2.MemoryKiB, c.Argon2.Iterations = 7000, 5 }, "argon2.memory_kib", "7168 or more"},
		{"argon2 iterations 0", func(c *Config) { c.Argon2.Iterations = 0 }, "argon2.iterations", "'0'"},
		{"argon2 parallelism 0", func(c *Config) { c.Argon2.Parallelism = 0 }, "argon2.parallelism", "must be 1 or more"},
		{"argon2 max_concurrent 0", func(c *Config) { c.Argon2.MaxConcurrent = 0 }, "argon2.max_concurrent", "must be 1 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validProd()
			tt.mutate(&c)
			err := c.Validate()
			got := problemNames(err)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !slices.Equal(got, []string{tt.want}) {
				t.Fatalf("problems = %v, want [%s]\n%v", got, tt.want, err)
			}
			if !strings.Contains(err.Error(), tt.inText) {
				t.Errorf("error\n  %s\ndoes not say\n  %s", err, tt.inText)
			}
		})
	}
}

func twilioOK() Twilio {
	return Twilio{AccountSID: "AC0123", AuthToken: "twilio-token-value", From: "+15005550006", APIURL: DefaultTwilioAPIURL}
}

func webhookOK() SMSWebhook {
	return SMSWebhook{URL: "https://sms.example.com/send", Secret: strings.Repeat("k", 32)}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := validProd()
	c.PublicURL = "ftp://x"
	c.LogFormat = "xml"
	c.Argon2.MemoryKiB = 1024
	got := problemNames(c.Validate())
	want := []string{"public_url", "log_format", "argon2.memory_kib"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("problems = %v, want %v", got, want)
	}
}

func TestPlainHTTPErrorExplainsBothWaysOut(t *testing.T) {
	c := validProd()
	c.PublicURL = "http://login.example.com"
	err := c.Validate()
	for _, want := range []string{"https://", "allow_insecure_http", "GATEHOUSE_ALLOW_INSECURE_HTTP"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
}

func TestValidateNeverEchoesSecrets(t *testing.T) {
	c := validProd()
	c.MasterKey = "hunter2hunter2hunter2"
	c.DatabaseURL = "mysql://gh:dbpass-123@db/gh"
	c.SMTP = SMTP{URL: "ftp://mailer:smtppass-456@mail", From: "x@example.com"}
	c.SMS = SMS{Provider: "webhook", Webhook: SMSWebhook{URL: "http://hooks.example.com/?token=tokpass-789", Secret: "whsec-short"}}
	err := c.Validate()
	if n := len(leaves(err)); n != 5 {
		t.Fatalf("want 5 problems, got %d: %v", n, err)
	}
	mustNotContain(t, "error", err.Error(), "hunter2", "dbpass-123", "smtppass-456", "tokpass-789", "whsec-short")
	if !strings.Contains(err.Error(), "ftp://mailer:<redacted>@mail") || !strings.Contains(err.Error(), "mysql://gh:<redacted>@db/gh") {
		t.Errorf("URLs should show their non-secret parts:\n%v", err)
	}
}

func TestMasterKeyBytes(t *testing.T) {
	want := make([]byte, 32)
	for i := range want {
		want[i] = byte(i)
	}
	for _, s := range []string{testKey, testKeyB64URL, " " + testKey + "\n",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"} {
		c := Config{MasterKey: s}
		if got := c.MasterKeyBytes(); !bytes.Equal(got, want) {
			t.Errorf("MasterKeyBytes(%q) = %x", s, got)
		}
	}
	// URL-safe alphabet: bytes 0xfb 0xff ... encode with - and _.
	c := Config{MasterKey: "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8"}
	if len(c.MasterKeyBytes()) != 32 {
		t.Errorf("URL-safe key not decoded")
	}
	for _, bad := range []string{"", "c2hvcnQ=", "!!!!"} {
		if got := (&Config{MasterKey: bad}).MasterKeyBytes(); got != nil {
			t.Errorf("MasterKeyBytes(%q) = %x, want nil", bad, got)
		}
	}
}

func TestTrustedProxyPrefixes(t *testing.T) {
	c := Config{TrustedProxies: []string{"10.1.2.3/8", "192.0.2.7", "::ffff:192.0.2.8", "2001:db8::1", "junk"}}
	var got []string
	for _, p := range c.TrustedProxyPrefixes() {
		got = append(got, p.String())
	}
	want := []string{"10.0.0.0/8", "192.0.2.7/32", "192.0.2.8/32", "2001:db8::1/128"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
