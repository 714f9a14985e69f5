package notify

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// DefaultHTTPTimeout bounds one API call (Twilio, webhook) including reading the reply.
const DefaultHTTPTimeout = 10 * time.Second

// maxResponseBody caps how much of a provider's reply is read.
const maxResponseBody = 64 << 10

// newHTTPClient returns client, or a client that does not follow redirects: a redirect
// would replay credentials or a signed payload to a URL nobody configured.
func newHTTPClient(client *http.Client, timeout time.Duration) *http.Client {
	if client != nil {
		return client
	}
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// parseAPIURL checks an outbound URL: absolute http(s), no credentials, no fragment, and
// https unless the host is a loopback address (local test servers). option names the
// config field for the error.
func parseAPIURL(option, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: not a URL", ErrInvalidConfig, option)
	}
	if u.User != nil {
		// Not quoted: it holds credentials.
		return nil, fmt.Errorf("%w: %s: must not contain user:password@", ErrInvalidConfig, option)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%w: %s: must be an absolute https URL, got %q", ErrInvalidConfig, option, redactQuery(u))
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%w: %s: must use https (http is allowed only for loopback test servers), got %q", ErrInvalidConfig, option, redactQuery(u))
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("%w: %s: must not have a #fragment", ErrInvalidConfig, option)
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// redactQuery renders u without its query, which may carry a token.
func redactQuery(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		c.RawQuery = "REDACTED"
	}
	c.Fragment = ""
	return c.String()
}

// post sends req and returns the status and up to maxResponseBody bytes of the reply.
// Any failure before a complete reply is a *TransportError.
func post(client *http.Client, provider string, req *http.Request) (int, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, &TransportError{Provider: provider, Err: scrubURLError(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return 0, nil, &TransportError{Provider: provider, Err: err}
	}
	return resp.StatusCode, body, nil
}

// scrubURLError drops the request URL from a *url.Error (it may carry a query token) and
// keeps the operation and cause.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		where := "request"
		if perr == nil {
			where = redactQuery(u)
		}
		return fmt.Errorf("%s %s: %w", ue.Op, where, ue.Err)
	}
	return err
}

// statusTemporary is the retry rule for HTTP providers: server errors, 429 Too Many
// Requests and 408 Request Timeout may pass later; other 4xx will not.
func statusTemporary(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}
