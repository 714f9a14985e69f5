package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestPrecedence(t *testing.T) {
	yamlListen := "listen: 10.0.0.1:7000\n"
	tests := []struct {
		name string
		src  src
		want string
	}{
		{"default", src{env: prodEnv(nil)}, ":8080"},
		{"dev default beats default", src{dev: true}, "127.0.0.1:8080"},
		{"file beats default", src{env: prodEnv(nil), yaml: yamlListen}, "10.0.0.1:7000"},
		{"file beats dev default", src{dev: true, yaml: yamlListen}, "10.0.0.1:7000"},
		{"env beats file", src{env: prodEnv(map[string]string{"GATEHOUSE_LISTEN": "10.0.0.2:7001"}), yaml: yamlListen}, "10.0.0.2:7001"},
		{"empty env is unset", src{env: prodEnv(map[string]string{"GATEHOUSE_LISTEN": ""}), yaml: yamlListen}, "10.0.0.1:7000"},
		{"flag beats env and file", src{
			env:   prodEnv(map[string]string{"GATEHOUSE_LISTEN": "10.0.0.2:7001"}),
			yaml:  yamlListen,
			flags: map[string]string{"listen": "10.0.0.3:7002"},
		}, "10.0.0.3:7002"},
		{"flag beats dev default", src{dev: true, flags: map[string]string{"listen": "127.0.0.1:7003"}}, "127.0.0.1:7003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.src.dev {
				tt.src.env = map[string]string{"GATEHOUSE_DATA_DIR": t.TempDir()}
			}
			c, err := Load(tt.src.sources(t))
			if err != nil {
				t.Fatal(err)
			}
			if c.Listen != tt.want {
				t.Errorf("listen = %q, want %q", c.Listen, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	prod, dev := Defaults(false), Defaults(true)
	checks := []struct {
		option    string
		prod, dev any
	}{
		{"listen", prod.Listen == ":8080", dev.Listen == "127.0.0.1:8080"},
		{"data_dir", prod.DataDir == "./data", dev.DataDir == "./data"},
		{"database_url", prod.DatabaseURL == filepath.Join("data", "gatehouse.db"), dev.DatabaseURL == filepath.Join("data", "gatehouse.db")},
		{"public_url", prod.PublicURL == "", dev.PublicURL == "http://127.0.0.1:8080"},
		{"allow_insecure_http", !prod.AllowInsecureHTTP, dev.AllowInsecureHTTP},
		{"log_level", prod.LogLevel == "info", dev.LogLevel == "debug"},
		{"log_format", prod.LogFormat == "json", dev.LogFormat == "text"},
		{"sms.twilio.api_url", prod.SMS.Twilio.APIURL == "https://api.twilio.com", dev.SMS.Twilio.APIURL == "https://api.twilio.com"},
		{"database.max_conns", prod.Database.MaxConns == 16, dev.Database.MaxConns == 16},
		{"argon2", prod.Argon2 == Argon2{19456, 2, 1, runtime.GOMAXPROCS(0)}, dev.Argon2 == prod.Argon2},
		{"master_key", prod.MasterKey == "", dev.MasterKey == ""},
	}
	for _, c := range checks {
		if c.prod != true || c.dev != true {
			t.Errorf("%s: prod ok=%v dev ok=%v", c.option, c.prod, c.dev)
		}
	}
	if prod.Validate() == nil {
		t.Error("production defaults validate; public_url and master_key must be required")
	}
	if err := dev.Validate(); err != nil {
		t.Errorf("dev defaults do not validate: %v", err)
	}
}

func TestDerivedDefaults(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name       string
		src        src
		wantDB     string
		wantPublic string
	}{
		{"database_url follows data_dir", src{env: prodEnv(map[string]string{"GATEHOUSE_DATA_DIR": dir})},
			filepath.Join(dir, "gatehouse.db"), "https://login.example.com"},
		{"explicit database_url kept", src{env: prodEnv(map[string]string{"GATEHOUSE_DATA_DIR": dir, "GATEHOUSE_DATABASE_URL": "postgres://db/gh"})},
			"postgres://db/gh", "https://login.example.com"},
		{"dev public_url follows listen", src{dev: true, env: map[string]string{"GATEHOUSE_DATA_DIR": dir, "GATEHOUSE_LISTEN": "127.0.0.1:9999"}},
			filepath.Join(dir, "gatehouse.db"), "http://127.0.0.1:9999"},
		{"dev public_url from unspecified listen host", src{dev: true, env: map[string]string{"GATEHOUSE_DATA_DIR": dir}, flags: map[string]string{"listen": "0.0.0.0:9998"}},
			filepath.Join(dir, "gatehouse.db"), "http://127.0.0.1:9998"},
		{"dev public_url from empty listen host", src{dev: true, env: map[string]string{"GATEHOUSE_DATA_DIR": dir}, flags: map[string]string{"listen": ":9997"}},
			filepath.Join(dir, "gatehouse.db"), "http://127.0.0.1:9997"},
		{"dev explicit public_url kept", src{dev: true, env: map[string]string{"GATEHOUSE_DATA_DIR": dir, "GATEHOUSE_LISTEN": ":9996", "GATEHOUSE_PUBLIC_URL": "http://gh.localhost:9996"}},
			filepath.Join(dir, "gatehouse.db"), "http://gh.localhost:9996"},
		{"one trailing slash trimmed", src{env: prodEnv(map[string]string{"GATEHOUSE_PUBLIC_URL": "https://login.example.com/idp/"})},
			filepath.Join("data", "gatehouse.db"), "https://login.example.com/idp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.src.sources(t))
			if err != nil {
				t.Fatal(err)
			}
			if c.DatabaseURL != tt.wantDB || c.PublicURL != tt.wantPublic {
				t.Errorf("database_url=%q public_url=%q, want %q %q", c.DatabaseURL, c.PublicURL, tt.wantDB, tt.wantPublic)
			}
		})
	}
}

// TestEveryEnvVar sets each option's environment variable and checks that
// it lands in the right field, and that the same value in YAML lands there
// too, so the options table, the struct tags and the names cannot drift.
func TestEveryEnvVar(t *testing.T) {
	values := map[string]struct {
		env, yaml string
		get       func(*Config) any
		want      any
	}{
		"database_url":           {"postgres://u@db:5432/gh", `"postgres://u@db:5432/gh"`, func(c *Config) any { return c.DatabaseURL }, "postgres://u@db:5432/gh"},
		"public_url":             {"https://id.example.org", "https://id.example.org", func(c *Config) any { return c.PublicURL }, "https://id.example.org"},
		"listen":                 {"127.0.0.1:9000", `"127.0.0.1:9000"`, func(c *Config) any { return c.Listen }, "127.0.0.1:9000"},
		"master_key":             {testKeyB64URL, testKeyB64URL, func(c *Config) any { return c.MasterKey }, testKeyB64URL},
		"allow_insecure_http":    {"true", "true", func(c *Config) any { return c.AllowInsecureHTTP }, true},
		"data_dir":               {"/var/lib/gh", "/var/lib/gh", func(c *Config) any { return c.DataDir }, "/var/lib/gh"},
		"trusted_proxies":        {"10.0.0.0/8, 192.0.2.7,", "[10.0.0.0/8, 192.0.2.7]", func(c *Config) any { return c.TrustedProxies }, []string{"10.0.0.0/8", "192.0.2.7"}},
		"log_level":              {"warn", "warn", func(c *Config) any { return c.LogLevel }, "warn"},
		"log_format":             {"text", "text", func(c *Config) any { return c.LogFormat }, "text"},
		"smtp.url":               {"smtps://u:p@mail.example.com:465", "smtps://u:p@mail.example.com:465", func(c *Config) any { return c.SMTP.URL }, "smtps://u:p@mail.example.com:465"},
		"smtp.from":              {"login@example.com", "login@example.com", func(c *Config) any { return c.SMTP.From }, "login@example.com"},
		"sms.provider":           {"webhook", "webhook", func(c *Config) any { return c.SMS.Provider }, "webhook"},
		"sms.twilio.account_sid": {"AC123", "AC123", func(c *Config) any { return c.SMS.Twilio.AccountSID }, "AC123"},
		"sms.twilio.auth_token":  {"tok", "tok", func(c *Config) any { return c.SMS.Twilio.AuthToken }, "tok"},
		"sms.twilio.from":        {"+15005550006", `"+15005550006"`, func(c *Config) any { return c.SMS.Twilio.From }, "+15005550006"},
		"sms.twilio.api_url":     {"https://twilio.test", "https://twilio.test", func(c *Config) any { return c.SMS.Twilio.APIURL }, "https://twilio.test"},
		"sms.webhook.url":        {"https://sms.example.com/send", "https://sms.example.com/send", func(c *Config) any { return c.SMS.Webhook.URL }, "https://sms.example.com/send"},
		"sms.webhook.secret":     {strings.Repeat("s", 32), strings.Repeat("s", 32), func(c *Config) any { return c.SMS.Webhook.Secret }, strings.Repeat("s", 32)},
		"geoip_db":               {"/geo/city.mmdb", "/geo/city.mmdb", func(c *Config) any { return c.GeoIPDB }, "/geo/city.mmdb"},
		"database.max_conns":     {"40", "40", func(c *Config) any { return c.Database.MaxConns }, 40},
		"database.min_conns":     {"4", "4", func(c *Config) any { return c.Database.MinConns }, 4},
		"argon2.memory_kib":      {"65536", "65536", func(c *Config) any { return c.Argon2.MemoryKiB }, uint32(65536)},
		"argon2.iterations":      {"3", "3", func(c *Config) any { return c.Argon2.Iterations }, uint32(3)},
		"argon2.parallelism":     {"4", "4", func(c *Config) any { return c.Argon2.Parallelism }, uint8(4)},
		"argon2.max_concurrent":  {"3", "3", func(c *Config) any { return c.Argon2.MaxConcurrent }, 3},
	}
	if len(values) != len(options) {
		t.Fatalf("the test covers %d options, the table has %d", len(values), len(options))
	}
	for _, o := range options {
		v, ok := values[o.key]
		if !ok {
			t.Errorf("option %s (%s) is not covered", o.key, o.env)
			continue
		}
		t.Run(o.env, func(t *testing.T) {
			c := Defaults(false)
			c.origins = map[string]string{}
			if errs := c.loadEnv(func(n string) (string, bool) { return v.env, n == o.env }, nil); errs != nil {
				t.Fatal(errs)
			}
			if got := v.get(&c); !reflect.DeepEqual(got, v.want) {
				t.Errorf("%s=%q set %v, want %v", o.env, v.env, got, v.want)
			}
			if c.origins[o.key] != o.env {
				t.Errorf("origin of %s = %q", o.key, c.origins[o.key])
			}
		})
		t.Run("yaml "+o.key, func(t *testing.T) {
			path := strings.Split(o.key, ".")
			var doc strings.Builder
			for i, p := range path {
				doc.WriteString(strings.Repeat("  ", i) + p + ":")
				if i < len(path)-1 {
					doc.WriteString("\n")
				}
			}
			doc.WriteString(" " + v.yaml + "\n")
			file := src{yaml: doc.String()}.sources(t).File
			c := Defaults(false)
			c.origins = map[string]string{}
			if errs, err := c.loadFile(file); err != nil || errs != nil {
				t.Fatalf("%q: %v %v", doc.String(), err, errs)
			}
			if got := v.get(&c); !reflect.DeepEqual(got, v.want) {
				t.Errorf("yaml %q set %v, want %v", doc.String(), got, v.want)
			}
		})
	}
}

func TestEnvProblems(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		wantName   string // the *UnknownOptionError's Name, or the *FieldError's Option
		suggestion string
		inText     string
	}{
		{"typo", map[string]string{"GATEHOUSE_PUBLC_URL": "https://x"}, "GATEHOUSE_PUBLC_URL", "GATEHOUSE_PUBLIC_URL", "did you mean 'GATEHOUSE_PUBLIC_URL'"},
		{"no near name", map[string]string{"GATEHOUSE_FROBNICATE": "1"}, "GATEHOUSE_FROBNICATE", "", "unknown environment variable 'GATEHOUSE_FROBNICATE'"},
		{"dev is a flag", map[string]string{"GATEHOUSE_DEV": "1"}, "GATEHOUSE_DEV", "", "--dev flag"},
		{"config is a flag", map[string]string{"GATEHOUSE_CONFIG": "/etc/g.yaml"}, "GATEHOUSE_CONFIG", "", "--config"},
		{"bad integer", map[string]string{"GATEHOUSE_DB_MAX_CONNS": "lots"}, "database.max_conns", "", "option 'database.max_conns' must be a whole number but it's configured as 'lots' (from GATEHOUSE_DB_MAX_CONNS)"},
		{"bad bool", map[string]string{"GATEHOUSE_ALLOW_INSECURE_HTTP": "sure"}, "allow_insecure_http", "", "must be true or false"},
		{"uint8 overflow", map[string]string{"GATEHOUSE_ARGON2_PARALLELISM": "300"}, "argon2.parallelism", "", "from 0 to 255"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(src{env: prodEnv(tt.env)}.sources(t))
			if got := problemNames(err); len(got) != 1 {
				t.Fatalf("problems = %v, want exactly one", got)
			}
			var ue *UnknownOptionError
			var fe *FieldError
			switch {
			case errors.As(err, &ue):
				if ue.Name != tt.wantName || ue.Suggestion != tt.suggestion || ue.Source != "environment" {
					t.Errorf("got %+v, want name %q suggestion %q", ue, tt.wantName, tt.suggestion)
				}
			case errors.As(err, &fe):
				if fe.Option != tt.wantName {
					t.Errorf("option = %q, want %q", fe.Option, tt.wantName)
				}
			default:
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if !strings.Contains(err.Error(), tt.inText) {
				t.Errorf("error %q does not say %q", err, tt.inText)
			}
		})
	}
}

func TestEnvReservedAndForeignNamesIgnored(t *testing.T) {
	env := prodEnv(map[string]string{
		"GATEHOUSE_TEST_POSTGRES_URL": "postgres://x",
		"GATEHOUSE_SKIP_BROWSER":      "1",
		"HOME":                        "/root",
		"GATEHOUSEX":                  "not ours",
	})
	if _, err := Load(src{env: env}.sources(t)); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownEnvValueNotEchoed(t *testing.T) {
	const secretValue = "hunter2-hunter2-hunter2"
	_, err := Load(src{env: prodEnv(map[string]string{"GATEHOUSE_MASTERKEY": secretValue})}.sources(t))
	var ue *UnknownOptionError
	if !errors.As(err, &ue) || ue.Suggestion != "GATEHOUSE_MASTER_KEY" {
		t.Fatalf("err = %v", err)
	}
	mustNotContain(t, "error", err.Error(), secretValue)
}

func TestFlags(t *testing.T) {
	t.Run("origin named in error", func(t *testing.T) {
		_, err := Load(src{env: prodEnv(nil), flags: map[string]string{"public_url": "ftp://x"}}.sources(t))
		fe := fieldErrors(err)["public_url"]
		if fe == nil || fe.Origin != "flag --public-url" {
			t.Fatalf("err = %v", err)
		}
		const want = "config: option 'public_url' must be an absolute http(s) URL but it's configured as 'ftp://x' (from flag --public-url)"
		if fe.Error() != want {
			t.Errorf("got  %s\nwant %s", fe.Error(), want)
		}
	})
	t.Run("unknown flag key", func(t *testing.T) {
		_, err := Load(src{env: prodEnv(nil), flags: map[string]string{"public-url": "https://x"}}.sources(t))
		var ue *UnknownOptionError
		if !errors.As(err, &ue) || ue.Name != "public-url" || ue.Suggestion != "public_url" || ue.Source != "flags" {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestAllProblemsAtOnceAcrossSources(t *testing.T) {
	_, err := Load(src{
		yaml:  "log_level: loud\nlisten: nowhere\n",
		env:   map[string]string{"GATEHOUSE_PUBLIC_URL": "ftp://x", "GATEHOUSE_MASTER_KEY": testKey, "GATEHOUSE_LISTN": ":1"},
		flags: map[string]string{"database_url": "mysql://db"},
	}.sources(t))
	got := problemNames(err)
	slices.Sort(got)
	want := []string{"database_url", "listen", "log_level", "public_url", "unknown:GATEHOUSE_LISTN"}
	if !slices.Equal(got, want) {
		t.Errorf("problems = %v, want %v", got, want)
	}
}
