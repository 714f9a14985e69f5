package notify

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// STARTTLSPolicy says what a plain smtp:// connection does about STARTTLS.
type STARTTLSPolicy int

const (
	// STARTTLSMandatory upgrades with STARTTLS and refuses servers that do not offer it.
	// The default, and the only policy fit for production.
	STARTTLSMandatory STARTTLSPolicy = iota
	// STARTTLSOpportunistic upgrades when the server offers STARTTLS and otherwise sends
	// in clear text. Anyone on the path can strip the STARTTLS offer and read every
	// code and reset link; only for local dev relays. Credentials are still refused
	// over an unencrypted connection.
	STARTTLSOpportunistic
	// STARTTLSNone never upgrades: the whole conversation, message bodies included, is
	// clear text. Only for a relay on the same host (mailpit, mailhog) in dev; cannot be
	// combined with credentials.
	STARTTLSNone
)

func (p STARTTLSPolicy) String() string {
	switch p {
	case STARTTLSMandatory:
		return "mandatory"
	case STARTTLSOpportunistic:
		return "opportunistic"
	case STARTTLSNone:
		return "none"
	default:
		return "unknown"
	}
}

// Default ports: submission with STARTTLS (RFC 6409) and submissions with implicit TLS
// (RFC 8314).
const (
	DefaultSMTPPort  = 587
	DefaultSMTPSPort = 465
)

// SMTPEndpoint is a parsed smtp:// or smtps:// URL. Password is a secret: String and
// LogValue redact it.
type SMTPEndpoint struct {
	ImplicitTLS bool           // smtps://: TLS from the first byte
	STARTTLS    STARTTLSPolicy // smtp:// only
	Host        string         // host name or IP, without brackets
	Port        int
	Username    string // empty: no SMTP AUTH
	Password    string
}

// Addr is host:port for dialing.
func (e SMTPEndpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// String renders the endpoint as a URL with the password replaced by "REDACTED".
func (e SMTPEndpoint) String() string {
	u := url.URL{Scheme: "smtp", Host: e.Addr()}
	if e.ImplicitTLS {
		u.Scheme = "smtps"
	} else if e.STARTTLS != STARTTLSMandatory {
		u.RawQuery = "starttls=" + e.STARTTLS.String()
	}
	if e.Username != "" {
		u.User = url.UserPassword(e.Username, "REDACTED")
	}
	return u.String()
}

// LogValue implements slog.LogValuer without the password.
func (e SMTPEndpoint) LogValue() slog.Value { return slog.StringValue(e.String()) }

// SMTPURLError names the part of an SMTP URL that is wrong. It never quotes the
// password, and quotes nothing from the userinfo part at all.
type SMTPURLError struct {
	Part   string // "url", "scheme", "username", "password", "host", "port", "path", "query", "starttls", "fragment"
	Reason string
}

func (e *SMTPURLError) Error() string { return "notify: smtp url: " + e.Part + ": " + e.Reason }

// Is makes errors.Is(err, ErrInvalidConfig) true.
func (e *SMTPURLError) Is(target error) bool { return target == ErrInvalidConfig }

func urlErr(part, format string, args ...any) error {
	return &SMTPURLError{Part: part, Reason: fmt.Sprintf(format, args...)}
}

// ParseSMTPURL parses smtp://user:pass@host:port[?starttls=mandatory|opportunistic|none]
// or smtps://user:pass@host:port. Username and password must be percent-encoded if they
// contain any of : / ? # @ %. Without a port, smtp uses 587 and smtps 465.
//
// The parser is hand-written rather than net/url because url.Parse errors quote the raw
// input, and a password with an unescaped "/" would end up in a log line.
func ParseSMTPURL(raw string) (SMTPEndpoint, error) {
	var ep SMTPEndpoint
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ep, urlErr("url", "is empty")
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ep, urlErr("scheme", "missing; the url must start with smtp:// or smtps://")
	}
	switch strings.ToLower(scheme) {
	case "smtp":
	case "smtps":
		ep.ImplicitTLS = true
	default:
		if len(scheme) <= 10 && isToken(scheme) {
			return ep, urlErr("scheme", "must be smtp or smtps, got %q", scheme)
		}
		return ep, urlErr("scheme", "must be smtp or smtps")
	}

	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	if strings.Contains(tail, "@") {
		// The userinfo was cut short by a reserved character: whatever follows may be
		// part of the password, so none of it is quoted.
		return ep, urlErr("userinfo", "contains an unescaped / ? or #; percent-encode the username and password")
	}
	if strings.Contains(tail, "#") {
		return ep, urlErr("fragment", "is not allowed")
	}
	path, query, _ := strings.Cut(tail, "?")
	if path != "" && path != "/" {
		return ep, urlErr("path", "must be empty, got %q", path)
	}

	hostport := authority
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		if err := parseUserinfo(authority[:at], &ep); err != nil {
			return ep, err
		}
		hostport = authority[at+1:]
	}
	if err := parseHostPort(hostport, &ep); err != nil {
		return ep, err
	}
	if err := parseSMTPQuery(query, &ep); err != nil {
		return ep, err
	}
	return ep, nil
}

func parseUserinfo(userinfo string, ep *SMTPEndpoint) error {
	rawUser, rawPass, hasPass := strings.Cut(userinfo, ":")
	user, err := url.PathUnescape(rawUser)
	if err != nil {
		return urlErr("username", "has invalid percent-encoding")
	}
	if user == "" {
		return urlErr("username", "is empty")
	}
	if !hasPass || rawPass == "" {
		return urlErr("password", "is missing (a username needs a password)")
	}
	pass, err := url.PathUnescape(rawPass)
	if err != nil {
		return urlErr("password", "has invalid percent-encoding")
	}
	ep.Username, ep.Password = user, pass
	return nil
}

func parseHostPort(hostport string, ep *SMTPEndpoint) error {
	if hostport == "" {
		return urlErr("host", "is missing")
	}
	host, port, hasPort := hostport, "", false
	if strings.HasPrefix(hostport, "[") {
		end := strings.Index(hostport, "]")
		if end < 0 {
			return urlErr("host", "has an unclosed [")
		}
		host = hostport[1:end]
		after := hostport[end+1:]
		if after != "" {
			if !strings.HasPrefix(after, ":") {
				return urlErr("host", "unexpected %q after ]", after)
			}
			port, hasPort = after[1:], true
		}
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return urlErr("host", "%q in brackets is not an IPv6 address", host)
		}
	} else {
		if strings.Count(hostport, ":") > 1 {
			return urlErr("host", "an IPv6 address must be written in brackets, like [::1]:25")
		}
		host, port, hasPort = strings.Cut(hostport, ":")
		if !validHostName(host) {
			return urlErr("host", "%q is not a valid host name or IPv4 address", host)
		}
	}
	ep.Host = host
	switch {
	case !hasPort && ep.ImplicitTLS:
		ep.Port = DefaultSMTPSPort
	case !hasPort:
		ep.Port = DefaultSMTPPort
	default:
		n, err := strconv.Atoi(port)
		if err != nil {
			// Not quoted: "smtp://user:secret" (host forgotten) puts the password here.
			return urlErr("port", "is not a number")
		}
		if n < 1 || n > 65535 {
			return urlErr("port", "must be between 1 and 65535, got %d", n)
		}
		ep.Port = n
	}
	return nil
}

func parseSMTPQuery(query string, ep *SMTPEndpoint) error {
	if query == "" {
		return nil
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return urlErr("query", "is malformed")
	}
	for key := range values {
		if key != "starttls" {
			return urlErr("query", "unknown parameter %q (only starttls is supported)", key)
		}
	}
	vs := values["starttls"]
	if len(vs) != 1 {
		return urlErr("starttls", "must be given once")
	}
	if ep.ImplicitTLS {
		return urlErr("starttls", "does not apply to smtps:// (TLS is implicit)")
	}
	switch strings.ToLower(vs[0]) {
	case "mandatory":
		ep.STARTTLS = STARTTLSMandatory
	case "opportunistic":
		ep.STARTTLS = STARTTLSOpportunistic
	case "none":
		ep.STARTTLS = STARTTLSNone
	default:
		return urlErr("starttls", "must be mandatory, opportunistic or none, got %q", vs[0])
	}
	if ep.STARTTLS == STARTTLSNone && ep.Username != "" {
		return urlErr("starttls", "none cannot be combined with a username and password: they would cross the network in clear text")
	}
	return nil
}

// validHostName accepts DNS names (letters, digits, hyphens, underscores, dots) and IPv4
// literals.
func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return s != ""
}
