package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DefaultTwilioAPIURL is Twilio's REST API. Twilio-compatible providers (and
// notify/smstest) are reached by overriding TwilioConfig.APIURL.
const DefaultTwilioAPIURL = "https://api.twilio.com"

// TwilioConfig configures a TwilioSender. AuthToken is a secret: the config implements
// slog.LogValuer and fmt.Stringer with it redacted.
type TwilioConfig struct {
	AccountSID string // "AC..." (or the compatible provider's account/project id)
	AuthToken  string
	// From is the sending number in E.164, or an alphanumeric sender id (1-11 letters,
	// digits and spaces, at least one letter) where the destination country allows it.
	From string
	// APIURL defaults to DefaultTwilioAPIURL; must be https except for loopback hosts.
	APIURL string
	// Timeout bounds one API call; 0 means DefaultHTTPTimeout.
	Timeout time.Duration
	// HTTPClient replaces the default client (which never follows redirects).
	HTTPClient *http.Client
}

// LogValue implements slog.LogValuer with the auth token redacted.
func (c TwilioConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("account_sid", c.AccountSID),
		slog.String("auth_token", redacted(c.AuthToken)),
		slog.String("from", c.From),
		slog.String("api_url", c.APIURL),
		slog.Duration("timeout", c.Timeout),
	)
}

// String renders the config with the auth token redacted.
func (c TwilioConfig) String() string {
	return fmt.Sprintf("TwilioConfig{AccountSID:%s AuthToken:%s From:%s APIURL:%s Timeout:%s}",
		c.AccountSID, redacted(c.AuthToken), c.From, c.APIURL, c.Timeout)
}

// GoString keeps %#v from printing the auth token.
func (c TwilioConfig) GoString() string { return c.String() }

func redacted(secret string) string {
	if secret == "" {
		return ""
	}
	return "REDACTED"
}

// TwilioError is an error reply from the Messages API: the HTTP status plus Twilio's
// error code and message (https://www.twilio.com/docs/api/errors).
type TwilioError struct {
	Status   int    // HTTP status
	Code     int    // Twilio error code, e.g. 21211 invalid 'To' number; 0 if the body had none
	Message  string // Twilio's message, cut to 200 characters
	MoreInfo string
}

func (e *TwilioError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("notify: twilio: HTTP %d: error %d: %s", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("notify: twilio: HTTP %d: %s", e.Status, e.Message)
}

// Temporary reports whether a retry may succeed: 5xx, 429 and 408. Other 4xx (a bad
// number, an unverified sender, wrong credentials) will fail again the same way.
func (e *TwilioError) Temporary() bool { return statusTemporary(e.Status) }

// TwilioSender sends SMS through the Twilio Messages API. Safe for concurrent use.
type TwilioSender struct {
	endpoint string
	sid      string
	token    string
	from     string
	timeout  time.Duration
	client   *http.Client
}

var alphanumericSender = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)

// NewTwilioSender validates cfg and returns a sender. It does not call the API.
func NewTwilioSender(cfg TwilioConfig) (*TwilioSender, error) {
	if cfg.AccountSID == "" || strings.ContainsAny(cfg.AccountSID, "/?#% \t\r\n") {
		return nil, fmt.Errorf("%w: twilio account_sid: must be set and contain no / ? # %% or spaces", ErrInvalidConfig)
	}
	if cfg.AuthToken == "" {
		return nil, fmt.Errorf("%w: twilio auth_token: must be set", ErrInvalidConfig)
	}
	if !ValidE164(cfg.From) && !(alphanumericSender.MatchString(cfg.From) && strings.ContainsAny(strings.ToLower(cfg.From), "abcdefghijklmnopqrstuvwxyz")) {
		return nil, fmt.Errorf("%w: twilio from: must be an E.164 number or an alphanumeric sender id, got %q", ErrInvalidConfig, cfg.From)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: twilio timeout: must not be negative, got %s", ErrInvalidConfig, cfg.Timeout)
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultTwilioAPIURL
	}
	base, err := parseAPIURL("twilio api_url", cfg.APIURL)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultHTTPTimeout
	}
	return &TwilioSender{
		endpoint: strings.TrimSuffix(base.String(), "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json",
		sid:      cfg.AccountSID,
		token:    cfg.AuthToken,
		from:     cfg.From,
		timeout:  cfg.Timeout,
		client:   newHTTPClient(cfg.HTTPClient, cfg.Timeout),
	}, nil
}

// SendSMS posts one message. It returns ErrInvalidMessage, *TwilioError for an error
// reply, or *TransportError when no reply arrived.
func (t *TwilioSender) SendSMS(ctx context.Context, s SMS) error {
	if err := s.validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	form := url.Values{"To": {s.To}, "From": {t.from}, "Body": {s.Body}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("notify: twilio: building request: %w", err)
	}
	req.SetBasicAuth(t.sid, t.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	status, body, err := post(t.client, "twilio", req)
	if err != nil {
		return err
	}
	if status >= 200 && status < 300 {
		return nil
	}
	return parseTwilioError(status, body)
}

// parseTwilioError reads {"code":21211,"message":"...","more_info":"...","status":400}.
// A body that is not Twilio JSON (a proxy's HTML page) still yields the HTTP status.
func parseTwilioError(status int, body []byte) *TwilioError {
	e := &TwilioError{Status: status}
	var reply struct {
		Code     int    `json:"code"`
		Message  string `json:"message"`
		MoreInfo string `json:"more_info"`
	}
	if json.Unmarshal(body, &reply) == nil {
		e.Code = reply.Code
		e.Message = headerText(reply.Message, 200)
		e.MoreInfo = headerText(reply.MoreInfo, 200)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}
