package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// display says how an option's value may be shown in errors and logs.
type display int

const (
	shown    display = iota // printed as configured
	secret                  // printed as <redacted> when set
	urlValue                // printed with the password part redacted
)

// redacted replaces a secret wherever a value would be printed.
const redacted = "<redacted>"

// option is one settable leaf of Config, shared by the environment and
// flag sources (the YAML file is decoded into the struct directly). key is
// the yaml path and the name used in errors.
type option struct {
	key  string
	env  string
	show display
	set  func(c *Config, v string) error
}

// options lists every leaf option with its environment variable. The test
// suite checks each one against the struct, the YAML decoder and the docs.
var options = []option{
	{"database_url", "GATEHOUSE_DATABASE_URL", urlValue, str(func(c *Config) *string { return &c.DatabaseURL })},
	{"public_url", "GATEHOUSE_PUBLIC_URL", shown, str(func(c *Config) *string { return &c.PublicURL })},
	{"listen", "GATEHOUSE_LISTEN", shown, str(func(c *Config) *string { return &c.Listen })},
	{"master_key", "GATEHOUSE_MASTER_KEY", secret, str(func(c *Config) *string { return &c.MasterKey })},
	{"allow_insecure_http", "GATEHOUSE_ALLOW_INSECURE_HTTP", shown, boolean(func(c *Config) *bool { return &c.AllowInsecureHTTP })},
	{"data_dir", "GATEHOUSE_DATA_DIR", shown, str(func(c *Config) *string { return &c.DataDir })},
	{"trusted_proxies", "GATEHOUSE_TRUSTED_PROXIES", shown, list(func(c *Config) *[]string { return &c.TrustedProxies })},
	{"log_level", "GATEHOUSE_LOG_LEVEL", shown, str(func(c *Config) *string { return &c.LogLevel })},
	{"log_format", "GATEHOUSE_LOG_FORMAT", shown, str(func(c *Config) *string { return &c.LogFormat })},
	{"smtp.url", "GATEHOUSE_SMTP_URL", urlValue, str(func(c *Config) *string { return &c.SMTP.URL })},
	{"smtp.from", "GATEHOUSE_SMTP_FROM", shown, str(func(c *Config) *string { return &c.SMTP.From })},
	{"sms.provider", "GATEHOUSE_SMS_PROVIDER", shown, str(func(c *Config) *string { return &c.SMS.Provider })},
	{"sms.twilio.account_sid", "GATEHOUSE_TWILIO_ACCOUNT_SID", shown, str(func(c *Config) *string { return &c.SMS.Twilio.AccountSID })},
	{"sms.twilio.auth_token", "GATEHOUSE_TWILIO_AUTH_TOKEN", secret, str(func(c *Config) *string { return &c.SMS.Twilio.AuthToken })},
	{"sms.twilio.from", "GATEHOUSE_TWILIO_FROM", shown, str(func(c *Config) *string { return &c.SMS.Twilio.From })},
	{"sms.twilio.api_url", "GATEHOUSE_TWILIO_API_URL", urlValue, str(func(c *Config) *string { return &c.SMS.Twilio.APIURL })},
	{"sms.webhook.url", "GATEHOUSE_SMS_WEBHOOK_URL", urlValue, str(func(c *Config) *string { return &c.SMS.Webhook.URL })},
	{"sms.webhook.secret", "GATEHOUSE_SMS_WEBHOOK_SECRET", secret, str(func(c *Config) *string { return &c.SMS.Webhook.Secret })},
	{"geoip_db", "GATEHOUSE_GEOIP_DB", shown, str(func(c *Config) *string { return &c.GeoIPDB })},
	{"database.max_conns", "GATEHOUSE_DB_MAX_CONNS", shown, integer(func(c *Config) *int { return &c.Database.MaxConns })},
	{"database.min_conns", "GATEHOUSE_DB_MIN_CONNS", shown, integer(func(c *Config) *int { return &c.Database.MinConns })},
	{"argon2.memory_kib", "GATEHOUSE_ARGON2_MEMORY_KIB", shown, unsigned(32, func(c *Config, n uint64) { c.Argon2.MemoryKiB = uint32(n) })},
	{"argon2.iterations", "GATEHOUSE_ARGON2_ITERATIONS", shown, unsigned(32, func(c *Config, n uint64) { c.Argon2.Iterations = uint32(n) })},
	{"argon2.parallelism", "GATEHOUSE_ARGON2_PARALLELISM", shown, unsigned(8, func(c *Config, n uint64) { c.Argon2.Parallelism = uint8(n) })},
	{"argon2.max_concurrent", "GATEHOUSE_ARGON2_MAX_CONCURRENT", shown, integer(func(c *Config) *int { return &c.Argon2.MaxConcurrent })},
}

// Environment variables under these prefixes are not options and are never
// reported as unknown: the test suites use them for their own switches.
var reservedEnvPrefixes = []string{"GATEHOUSE_TEST_", "GATEHOUSE_SKIP_"}

// envHints explain the GATEHOUSE_* names people reach for that are not options.
var envHints = map[string]string{
	"GATEHOUSE_DEV":    "dev mode is turned on only by the --dev flag",
	"GATEHOUSE_CONFIG": "pass the configuration file with --config",
}

func optionByKey(key string) *option {
	for i := range options {
		if options[i].key == key {
			return &options[i]
		}
	}
	return nil
}

func optionByEnv(name string) *option {
	for i := range options {
		if options[i].env == name {
			return &options[i]
		}
	}
	return nil
}

// showValue returns v as it may be printed for option key. Values of keys
// that are not leaf options (a YAML section, say) are never printed.
func showValue(key, v string) string {
	o := optionByKey(key)
	if o == nil {
		return ""
	}
	switch o.show {
	case secret:
		if v == "" {
			return ""
		}
		return redacted
	case urlValue:
		return redactURL(v)
	}
	return v
}

// Problems reported when a string does not parse as the option's type; the
// YAML decoder's type errors are translated to the same words.
const (
	problemBool  = "must be true or false"
	problemInt   = "must be a whole number"
	problemList  = "must be a list of strings"
	problemTable = "must be a section of options"
)

func problemUint(bits int) string {
	return fmt.Sprintf("must be a whole number from 0 to %d", uint64(math.MaxUint64)>>(64-bits))
}

func str(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}

func boolean(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New(problemBool)
		}
		*field(c) = b
		return nil
	}
}

func integer(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return errors.New(problemInt)
		}
		*field(c) = n
		return nil
	}
}

func unsigned(bits int, set func(*Config, uint64)) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, bits)
		if err != nil {
			return errors.New(problemUint(bits))
		}
		set(c, n)
		return nil
	}
}

// list splits a comma-separated value, dropping blanks: "a, b," is [a b].
func list(field func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		var out []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		*field(c) = out
		return nil
	}
}

// suggest returns the candidate closest to name when it is a plausible typo
// (edit distance at most 2), or "".
func suggest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func optionKeys() []string {
	out := make([]string, len(options))
	for i, o := range options {
		out[i] = o.key
	}
	return out
}

func optionEnvs() []string {
	out := make([]string, len(options))
	for i, o := range options {
		out[i] = o.env
	}
	return out
}
