package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Validate reports every problem with c at once: errors.Join of one
// *FieldError per problem, nil when c is usable. Values in the errors are
// safe to print (secrets redacted).
func (c *Config) Validate() error {
	return errors.Join(c.problems()...)
}

// checks is the validation table: each entry looks at one area and reports
// everything wrong with it.
var checks = []func(*checker){
	checkDatabase,
	checkPublicURL,
	checkListen,
	checkMasterKey,
	checkDataDir,
	checkTrustedProxies,
	checkLogging,
	checkSMTP,
	checkSMS,
	checkArgon2,
}

func (c *Config) problems() []error {
	k := &checker{c: c}
	for _, check := range checks {
		check(k)
	}
	return k.errs
}

// checker collects FieldErrors, filling in the printable value and origin.
type checker struct {
	c    *Config
	errs []error
}

func (k *checker) fail(option, value, problem, hint string) {
	k.errs = append(k.errs, &FieldError{
		Option:  option,
		Value:   showValue(option, value),
		Problem: problem,
		Hint:    hint,
		Origin:  k.c.origins[option],
	})
}

// required reports option as missing when value is empty and says so.
func (k *checker) required(option, value, hint string) bool {
	if value != "" {
		return false
	}
	k.fail(option, "", "is required", hint)
	return true
}

// reKeyValueDSN matches a libpq "host=... password=..." string, which this
// package does not accept (it would be taken for a file name).
var reKeyValueDSN = regexp.MustCompile(`^\s*[a-z_]+\s*=`)

func checkDatabase(k *checker) {
	c := k.c
	switch u := c.DatabaseURL; {
	case k.required("database_url", u, "set a SQLite file path or a postgres:// URL"):
	case hasScheme(u, "postgres", "postgresql"):
		if _, err := url.Parse(u); err != nil {
			k.fail("database_url", u, "must be a valid postgres:// URL", "")
		}
	case strings.Contains(u, "://"):
		k.fail("database_url", u, "must be a SQLite file path or a postgres:// or postgresql:// URL", "")
	case reKeyValueDSN.MatchString(u):
		k.fail("database_url", u, "must be a SQLite file path or a postgres:// URL, not a key=value connection string", "")
	}
	if c.Database.MaxConns < 1 {
		k.fail("database.max_conns", strconv.Itoa(c.Database.MaxConns), "must be 1 or more", "")
	}
	if c.Database.MinConns < 0 || c.Database.MinConns > max(c.Database.MaxConns, 0) {
		k.fail("database.min_conns", strconv.Itoa(c.Database.MinConns), fmt.Sprintf("must be from 0 to database.max_conns (%d)", c.Database.MaxConns), "")
	}
}

func checkPublicURL(k *checker) {
	c := k.c
	if k.required("public_url", c.PublicURL, "set the https URL people reach Gatehouse at, e.g. https://login.example.com; tenant issuers are {public_url}/t/{tenant}") {
		return
	}
	u, ok := k.httpURL("public_url", c.PublicURL)
	if !ok {
		return
	}
	if u.User != nil {
		k.fail("public_url", c.PublicURL, "must not contain a user name or password", "")
	}
	if u.RawQuery != "" || u.ForceQuery {
		k.fail("public_url", c.PublicURL, "must not have a query (?...)", "")
	}
	if u.Fragment != "" || strings.Contains(c.PublicURL, "#") {
		k.fail("public_url", c.PublicURL, "must not have a fragment (#...)", "")
	}
	if strings.HasSuffix(c.PublicURL, "/") {
		k.fail("public_url", c.PublicURL, "must not end with '/'", "tenant issuers are {public_url}/t/{tenant}")
	}
}

// httpURL checks that raw is an absolute http(s) URL with a host and that
// plain HTTP is allowed (dev mode or allow_insecure_http), reporting problems
// against option. ok is false when raw is not such a URL at all.
func (k *checker) httpURL(option, raw string) (u *url.URL, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		k.fail(option, raw, "must be an absolute http(s) URL", "")
		return nil, false
	}
	if u.Scheme == "http" && !k.c.Dev && !k.c.AllowInsecureHTTP {
		k.fail(option, raw, "must use https outside dev mode",
			"use an https:// URL, or, if plain HTTP is really intended, set allow_insecure_http: true (GATEHOUSE_ALLOW_INSECURE_HTTP=true)")
	}
	return u, true
}

func checkListen(k *checker) {
	l := k.c.Listen
	if k.required("listen", l, "e.g. ':8080' or '127.0.0.1:8080'") {
		return
	}
	_, port, err := net.SplitHostPort(l)
	if err != nil {
		k.fail("listen", l, "must be host:port, e.g. ':8080' or '127.0.0.1:8080'", "")
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		k.fail("listen", l, "must have a port number from 0 to 65535", "")
	}
}

func checkMasterKey(k *checker) {
	c := k.c
	if c.MasterKey == "" {
		if !c.Dev {
			k.fail("master_key", "", "is required outside dev mode",
				"generate one with `openssl rand -base64 32` and set GATEHOUSE_MASTER_KEY (or master_key in the config file); keep it safe, it seals every signing key and stored secret")
		}
		return
	}
	if _, err := decodeMasterKey(c.MasterKey); err != nil {
		k.fail("master_key", c.MasterKey, "must be base64 of exactly 32 bytes ("+err.Error()+")",
			"generate one with `openssl rand -base64 32`")
	}
}

func checkDataDir(k *checker) {
	k.required("data_dir", k.c.DataDir, "e.g. ./data")
}

func checkTrustedProxies(k *checker) {
	for _, s := range k.c.TrustedProxies {
		p, err := parseProxy(s)
		switch {
		case err != nil:
			k.fail("trusted_proxies", s, "must list IP addresses or CIDR prefixes (e.g. 10.0.0.0/8)", "")
		case p.Bits() == 0:
			k.fail("trusted_proxies", s, "must not trust every address",
				"any client could then choose its own IP address and get past IP allowlists; list your load balancers' addresses or subnets")
		}
	}
}

// parseProxy reads a trusted proxy entry: a CIDR prefix (host bits are
// masked off) or a single address.
func parseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func checkLogging(k *checker) {
	switch k.c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		k.fail("log_level", k.c.LogLevel, "must be one of debug, info, warn, error", "")
	}
	switch k.c.LogFormat {
	case "text", "json":
	default:
		k.fail("log_format", k.c.LogFormat, "must be text or json", "")
	}
}

func checkSMTP(k *checker) {
	s := k.c.SMTP
	if s.URL == "" {
		return
	}
	if u, err := url.Parse(s.URL); err != nil || !hasScheme(s.URL, "smtp", "smtps") || u.Hostname() == "" {
		k.fail("smtp.url", s.URL, "must be smtp://[user:password@]host[:port] or smtps://...", "")
	}
	if !k.required("smtp.from", s.From, "the sender address, e.g. Gatehouse <login@example.com>") {
		if _, err := mail.ParseAddress(s.From); err != nil {
			k.fail("smtp.from", s.From, "must be an email address", "")
		}
	}
}

func checkSMS(k *checker) {
	s := k.c.SMS
	switch s.Provider {
	case "":
	case "twilio":
		k.required("sms.twilio.account_sid", s.Twilio.AccountSID, "")
		k.required("sms.twilio.auth_token", s.Twilio.AuthToken, "")
		k.required("sms.twilio.from", s.Twilio.From, "the sending number (E.164) or messaging service SID")
		if !k.required("sms.twilio.api_url", s.Twilio.APIURL, "") {
			k.httpURL("sms.twilio.api_url", s.Twilio.APIURL)
		}
	case "webhook":
		if !k.required("sms.webhook.url", s.Webhook.URL, "") {
			k.httpURL("sms.webhook.url", s.Webhook.URL)
		}
		if !k.required("sms.webhook.secret", s.Webhook.Secret, "32 or more random characters, e.g. `openssl rand -base64 32`") && len(s.Webhook.Secret) < 32 {
			k.fail("sms.webhook.secret", s.Webhook.Secret, "must be 32 characters or more", "e.g. `openssl rand -base64 32`")
		}
	default:
		k.fail("sms.provider", s.Provider, "must be empty (SMS off), twilio or webhook", "")
	}
}

// hasScheme reports whether raw starts with one of schemes followed by "://",
// ignoring case.
func hasScheme(raw string, schemes ...string) bool {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return false
	}
	for _, s := range schemes {
		if strings.EqualFold(scheme, s) {
			return true
		}
	}
	return false
}
