package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretsNeverLogged(t *testing.T) {
	c := validProd()
	c.MasterKey = "hunter2hunter2hunter2hunter2hunter2hunter2A="
	c.DatabaseURL = "postgres://gh:dbpass-123@db:5432/gh?sslpassword=sslpass-000&sslmode=require"
	c.SMTP = SMTP{URL: "smtp://mailer:smtppass-456@mail.example.com:587", From: "login@example.com"}
	c.SMS.Twilio = Twilio{AccountSID: "AC0123", AuthToken: "twiliotok-789", From: "+15005550006", APIURL: DefaultTwilioAPIURL}
	c.SMS.Webhook = SMSWebhook{URL: "https://hooks.example.com/sms", Secret: "whsec-0123456789abcdef0123456789abcdef"}
	secrets := []string{"hunter2", "dbpass-123", "sslpass-000", "smtppass-456", "twiliotok-789", "whsec-0123"}

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("starting", "config", &c)
	fmt.Fprintf(&buf, "%v %+v %s %#v %v", c, c, &c, c, []any{c})
	out := buf.String()

	mustNotContain(t, "log output", out, secrets...)
	for _, want := range []string{
		`"master_key":"<redacted>"`,
		`"auth_token":"<redacted>"`,
		`"secret":"<redacted>"`,
		`"url":"smtp://mailer:<redacted>@mail.example.com:587"`,
		"postgres://gh:<redacted>@db:5432/gh",
		`"public_url":"https://login.example.com"`,
		`"account_sid":"AC0123"`,
		"config.argon2.memory_kib=19456",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log output lacks %s:\n%s", want, out)
		}
	}
}

func TestUnsetSecretsLogEmpty(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "config", Defaults(true))
	if !strings.Contains(buf.String(), `"master_key":""`) || strings.Contains(buf.String(), "<redacted>") {
		t.Errorf("unset secrets should log as empty: %s", buf.String())
	}
}

func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		"":                                "",
		"./data/gatehouse.db":             "./data/gatehouse.db",
		"postgres://db/gh":                "postgres://db/gh",
		"postgres://u@db/gh":              "postgres://u@db/gh",
		"postgres://u:p@db/gh":            "postgres://u:<redacted>@db/gh",
		"postgres://db/gh?password=p&x=1": "postgres://db/gh?password=<redacted>&x=1",
		"smtps://u%40x:p%3Aq@mail:465":    "smtps://u%40x:<redacted>@mail:465",
		"smtp:u:p@mail":                   "<redacted>",
		"host=db password=p":              "<redacted>",
		"postgres://u:p@db:port/gh":       "<redacted>",
	}
	for in, want := range tests {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
