// Package cfgcheck collects every problem in a connector configuration so
// Validate can report them all at once, naming the option and the value
// (house style: "google: option 'client_id' must be set").
//
// It is internal to federation; it imports nothing from Gatehouse.
package cfgcheck

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// ErrInvalidConfig is wrapped by every error Problems.Err returns.
var ErrInvalidConfig = errors.New("federation: invalid connector configuration")

// Problems accumulates configuration problems for one connector kind.
type Problems struct {
	kind string
	list []string
}

// New starts an empty list for kind ("google", "microsoft", "oidc").
func New(kind string) *Problems { return &Problems{kind: kind} }

// Addf records one problem about option.
func (p *Problems) Addf(option, format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf("%s: option '%s' %s", p.kind, option, fmt.Sprintf(format, args...)))
}

// Err returns nil when nothing was recorded, otherwise one error listing
// every problem and wrapping ErrInvalidConfig.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n  %s", ErrInvalidConfig, strings.Join(p.list, "\n  "))
}

// Required records a problem when value is empty.
func (p *Problems) Required(option, value string) {
	if strings.TrimSpace(value) == "" {
		p.Addf(option, "must be set")
	}
}

// URL checks that value is an absolute https URL without query or fragment;
// plain http is accepted only for loopback hosts (tests, local development).
func (p *Problems) URL(option, value string) {
	if value == "" {
		p.Addf(option, "must be set")
		return
	}
	if err := CheckURL(value); err != nil {
		p.Addf(option, "%s but it's configured as '%s'", err.Error(), value)
	}
}

// CheckURL is URL as a plain function, for values found at run time
// (discovery endpoints).
func CheckURL(value string) error {
	u, err := url.Parse(value)
	if err != nil || u.Host == "" {
		return errors.New("must be an absolute URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
	default:
		return errors.New("must use https (http only for 127.0.0.1/localhost)")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("must not carry a query, fragment or user info")
	}
	return nil
}

// IsLoopback reports whether host is localhost or a loopback IP.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var (
	guidRE   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// IsGUID reports whether s is a lowercase canonical GUID.
func IsGUID(s string) bool { return guidRE.MatchString(s) }

// IsDomain reports whether s is a lowercase DNS name with at least one dot.
func IsDomain(s string) bool { return len(s) <= 253 && domainRE.MatchString(s) }

// Domains checks every entry of a domain list (already lower-cased).
func (p *Problems) Domains(option string, values []string) {
	for _, v := range values {
		if !IsDomain(v) {
			p.Addf(option, "must list DNS domain names such as 'example.com' but it contains '%s'", v)
		}
	}
}

// Lower returns the entries trimmed and lower-cased, without empties.
func Lower(values []string) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Client checks the OAuth client registration every connector kind shares.
func (p *Problems) Client(connectionID, clientID, clientSecret, redirectURL string) {
	p.Required("connection_id", connectionID)
	p.Required("client_id", clientID)
	if clientSecret == "" {
		p.Addf("client_secret", "must be set")
	}
	p.URL("redirect_url", redirectURL)
}
