package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

const docsPath = "../../docs/configuration.md"

// TestDocsNameEveryOption keeps docs/configuration.md in step with the
// options table: every YAML key and environment variable is documented, and
// the tables list no GATEHOUSE_* variable that does not exist.
func TestDocsNameEveryOption(t *testing.T) {
	b, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, o := range options {
		if !strings.Contains(doc, "`"+o.key+"`") {
			t.Errorf("docs do not document option `%s`", o.key)
		}
		if !strings.Contains(doc, "`"+o.env+"`") {
			t.Errorf("docs do not document `%s`", o.env)
		}
	}
	envName := regexp.MustCompile(`GATEHOUSE_[A-Z0-9_]+[A-Z0-9]`)
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue // prose may quote a misspelt name on purpose
		}
		for _, name := range envName.FindAllString(line, -1) {
			if optionByEnv(name) == nil {
				t.Errorf("the docs' tables list %s, which is not an option", name)
			}
		}
	}
}

// TestDocsExampleLoads loads the example YAML from the docs strictly, with
// the secrets the docs say come from the environment.
func TestDocsExampleLoads(t *testing.T) {
	b, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(string(b))
	if m == nil {
		t.Fatal("no ```yaml example in the docs")
	}
	c, err := Load(src{yaml: m[1], env: map[string]string{
		"GATEHOUSE_MASTER_KEY":        testKey,
		"GATEHOUSE_TWILIO_AUTH_TOKEN": "from-the-environment",
	}}.sources(t))
	if err != nil {
		t.Fatalf("the docs' example does not load: %v", err)
	}
	if c.PublicURL != "https://login.example.com" || c.SMS.Twilio.From != "+15005550006" || len(c.TrustedProxies) != 2 || c.Argon2.MaxConcurrent != 8 {
		t.Errorf("example loaded as %v", c)
	}
}
