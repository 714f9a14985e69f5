package config

import (
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"runtime"
)

// Config is everything Gatehouse reads at start-up. Build one with Load; the
// yaml tags are the option names used in the file, in flags and in errors
// (nested options are dotted: "database.max_conns").
type Config struct {
	// DatabaseURL is a SQLite file path or a postgres:// (postgresql://) URL.
	DatabaseURL string `yaml:"database_url"`
	// PublicURL is the base URL users reach Gatehouse at, without a trailing
	// slash; tenant issuers are {PublicURL}/t/{tenant}.
	PublicURL string `yaml:"public_url"`
	// Listen is the host:port the HTTP server binds.
	Listen string `yaml:"listen"`
	// MasterKey is base64 of 32 bytes; it seals signing keys and secrets at
	// rest. Use MasterKeyBytes. Never log it: Config's LogValue redacts it.
	MasterKey string `yaml:"master_key"`
	// AllowInsecureHTTP accepts a plain-HTTP public_url outside dev mode.
	AllowInsecureHTTP bool `yaml:"allow_insecure_http"`
	// Dev is set only by the --dev flag; it changes defaults and allows
	// plain HTTP and a generated master key.
	Dev bool `yaml:"-"`
	// DataDir holds the SQLite database (by default) and, in dev mode, the
	// generated master key.
	DataDir string `yaml:"data_dir"`
	// TrustedProxies are the IP addresses and CIDR prefixes whose
	// forwarding headers are believed when working out a client's IP.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// LogLevel is debug, info, warn or error; LogFormat is text or json.
	LogLevel  string `yaml:"log_level"`
	LogFormat string `yaml:"log_format"`

	SMTP SMTP `yaml:"smtp"`
	SMS  SMS  `yaml:"sms"`
	// GeoIPDB is the path of a MaxMind-format (.mmdb) city database; empty
	// turns location lookups off.
	GeoIPDB  string   `yaml:"geoip_db"`
	Database Database `yaml:"database"`
	Argon2   Argon2   `yaml:"argon2"`

	// origins maps an option key to where Load found its value
	// ("GATEHOUSE_LISTEN", "flag --listen", "file g.yaml line 3"). Errors
	// quote it; derived defaults apply only to options absent from it.
	origins map[string]string
}

// SMTP configures outgoing email. An empty URL turns email off.
type SMTP struct {
	// URL is smtp://[user:password@]host[:port] (STARTTLS) or smtps://...
	// (implicit TLS). The password part is redacted in logs and errors.
	URL  string `yaml:"url"`
	From string `yaml:"from"`
}

// SMS configures outgoing text messages.
type SMS struct {
	// Provider is "" (SMS off), "twilio" or "webhook".
	Provider string     `yaml:"provider"`
	Twilio   Twilio     `yaml:"twilio"`
	Webhook  SMSWebhook `yaml:"webhook"`
}

// Twilio holds the Twilio (or Twilio-compatible) Messages API credentials.
type Twilio struct {
	AccountSID string `yaml:"account_sid"`
	AuthToken  string `yaml:"auth_token"`
	// From is the sending number (E.164) or messaging service SID.
	From string `yaml:"from"`
	// APIURL is the API base, https://api.twilio.com by default.
	APIURL string `yaml:"api_url"`
}

// SMSWebhook posts each message to URL, signed with Secret.
type SMSWebhook struct {
	URL    string `yaml:"url"`
	Secret string `yaml:"secret"`
}

// Database bounds the database connection pool.
type Database struct {
	MaxConns int `yaml:"max_conns"`
	MinConns int `yaml:"min_conns"`
}

// Argon2 are the argon2id parameters for new password and backup-code
// hashes. Validate refuses anything weaker than OWASP's recommendations.
type Argon2 struct {
	MemoryKiB   uint32 `yaml:"memory_kib"`
	Iterations  uint32 `yaml:"iterations"`
	Parallelism uint8  `yaml:"parallelism"`
	// MaxConcurrent caps how many hashes run at once (memory is
	// MemoryKiB per running hash).
	MaxConcurrent int `yaml:"max_concurrent"`
}

// Default values that do not depend on mode.
const (
	DefaultDataDir       = "./data"
	DefaultTwilioAPIURL  = "https://api.twilio.com"
	DefaultDBMaxConns    = 16
	DefaultArgon2Memory  = 19456 // KiB, OWASP's 19 MiB with 2 iterations
	DefaultArgon2Time    = 2
	DefaultArgon2Threads = 1
	databaseFileName     = "gatehouse.db"
)

// Defaults returns the configuration used when no source sets a value. dev
// selects the --dev defaults: loopback listener, plain HTTP allowed, text
// logs at debug level and a public_url derived from listen. Outside dev,
// public_url and master_key have no default.
func Defaults(dev bool) Config {
	c := Config{
		Dev:       dev,
		Listen:    ":8080",
		DataDir:   DefaultDataDir,
		LogLevel:  "info",
		LogFormat: "json",
		SMS:       SMS{Twilio: Twilio{APIURL: DefaultTwilioAPIURL}},
		Database:  Database{MaxConns: DefaultDBMaxConns},
		Argon2: Argon2{
			MemoryKiB:     DefaultArgon2Memory,
			Iterations:    DefaultArgon2Time,
			Parallelism:   DefaultArgon2Threads,
			MaxConcurrent: runtime.GOMAXPROCS(0),
		},
	}
	if dev {
		c.Listen = "127.0.0.1:8080"
		c.AllowInsecureHTTP = true
		c.LogLevel = "debug"
		c.LogFormat = "text"
	}
	c.deriveDefaults()
	return c
}

// deriveDefaults fills the defaults computed from other options, unless the
// option was set explicitly: database_url from data_dir and, in dev mode,
// public_url from listen.
func (c *Config) deriveDefaults() {
	if !c.isSet("database_url") {
		c.DatabaseURL = filepath.Join(c.DataDir, databaseFileName)
	}
	if c.Dev && !c.isSet("public_url") {
		c.PublicURL = publicURLFromListen(c.Listen)
	}
}

func (c *Config) isSet(option string) bool {
	_, ok := c.origins[option]
	return ok
}

// publicURLFromListen turns a listen address into the URL a local browser
// uses: an unspecified host (":8080", "0.0.0.0:8080", "[::]:8080") becomes
// 127.0.0.1. It returns "" for an address that is not host:port, which
// Validate then reports.
func publicURLFromListen(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	if host == "" {
		host = "127.0.0.1"
	} else if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// MasterKeyBytes returns the decoded 32-byte master key, or nil when
// MasterKey is empty or malformed (Validate reports why). The caller owns the
// returned slice.
func (c *Config) MasterKeyBytes() []byte {
	key, err := decodeMasterKey(c.MasterKey)
	if err != nil {
		return nil
	}
	return key
}

// TrustedProxyPrefixes returns TrustedProxies as prefixes (a bare address
// becomes a /32 or /128), skipping entries Validate would reject.
func (c *Config) TrustedProxyPrefixes() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(c.TrustedProxies))
	for _, s := range c.TrustedProxies {
		if p, err := parseProxy(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// SlogLevel returns LogLevel as a slog.Level (info for an invalid value,
// which Validate reports).
func (c *Config) SlogLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
