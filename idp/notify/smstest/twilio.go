package smstest

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
)

// TwilioMessage is one message the fake accepted.
type TwilioMessage struct {
	SID        string // "SM" + 32 hex digits, as returned to the client
	AccountSID string
	To         string
	From       string
	Body       string
	Created    time.Time
}

// Twilio is a local server with the shape of the Twilio Messages API.
type Twilio struct {
	AccountSID string // "AC" + 32 hex digits
	AuthToken  string

	srv   *httptest.Server
	inbox *inbox[TwilioMessage]

	mu       sync.Mutex
	failures []twilioReply // answered, in order, instead of accepting
}

type twilioReply struct {
	status  int
	code    int
	message string
}

// StartTwilio starts the fake with fresh random credentials and stops it when the test
// ends.
func StartTwilio(t testing.TB) *Twilio {
	t.Helper()
	tw := NewTwilio("AC"+randomHex(16), randomHex(16))
	t.Cleanup(tw.Close)
	return tw
}

// NewTwilio starts the fake for the given credentials. Call Close when done.
func NewTwilio(accountSID, authToken string) *Twilio {
	tw := &Twilio{AccountSID: accountSID, AuthToken: authToken, inbox: newInbox[TwilioMessage]()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", tw.createMessage)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeTwilioError(w, twilioReply{http.StatusNotFound, 20404, "The requested resource " + r.URL.Path + " was not found"})
	})
	tw.srv = httptest.NewServer(mux)
	return tw
}

// Close stops the server.
func (tw *Twilio) Close() { tw.srv.Close() }

// URL is the API base URL, for notify.TwilioConfig.APIURL.
func (tw *Twilio) URL() string { return tw.srv.URL }

// Config returns a notify.TwilioConfig that talks to this fake, sending from from.
func (tw *Twilio) Config(from string) notify.TwilioConfig {
	return notify.TwilioConfig{AccountSID: tw.AccountSID, AuthToken: tw.AuthToken, From: from, APIURL: tw.URL(), Timeout: 5 * time.Second}
}

// Messages returns every accepted message, oldest first.
func (tw *Twilio) Messages() []TwilioMessage { return tw.inbox.all() }

// WaitFor returns the oldest message to the E.164 number to that no earlier WaitFor
// returned, waiting up to timeout.
func (tw *Twilio) WaitFor(to string, timeout time.Duration) (TwilioMessage, error) {
	return tw.inbox.waitFor(to, timeout, func(m TwilioMessage) bool { return m.To == to })
}

// FailNext makes the next request (after authentication) get a Twilio-style error
// reply with this HTTP status, Twilio error code and message. Calls queue up.
func (tw *Twilio) FailNext(status, code int, message string) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	tw.failures = append(tw.failures, twilioReply{status, code, message})
}

func (tw *Twilio) nextFailure() (twilioReply, bool) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if len(tw.failures) == 0 {
		return twilioReply{}, false
	}
	f := tw.failures[0]
	tw.failures = tw.failures[1:]
	return f, true
}

func (tw *Twilio) createMessage(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(tw.AccountSID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(tw.AuthToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeTwilioError(w, twilioReply{http.StatusUnauthorized, 20003, "Authenticate"})
		return
	}
	if r.PathValue("sid") != tw.AccountSID {
		writeTwilioError(w, twilioReply{http.StatusNotFound, 20404, "The requested resource " + r.URL.Path + " was not found"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeTwilioError(w, twilioReply{http.StatusBadRequest, 20001, "Unable to parse request body"})
		return
	}
	if f, ok := tw.nextFailure(); ok {
		writeTwilioError(w, f)
		return
	}
	to, from, body := r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Body")
	switch {
	case to == "":
		writeTwilioError(w, twilioReply{http.StatusBadRequest, 21604, "A 'To' phone number is required."})
		return
	case from == "":
		writeTwilioError(w, twilioReply{http.StatusBadRequest, 21603, "A 'From' phone number is required."})
		return
	case body == "":
		writeTwilioError(w, twilioReply{http.StatusBadRequest, 21602, "Message body is required."})
		return
	case !notify.ValidE164(to):
		writeTwilioError(w, twilioReply{http.StatusBadRequest, 21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", to)})
		return
	}
	m := TwilioMessage{SID: "SM" + randomHex(16), AccountSID: tw.AccountSID, To: to, From: from, Body: body, Created: time.Now().UTC()}
	tw.inbox.add(m)

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"sid":           m.SID,
		"account_sid":   m.AccountSID,
		"to":            m.To,
		"from":          m.From,
		"body":          m.Body,
		"status":        "queued",
		"direction":     "outbound-api",
		"api_version":   "2010-04-01",
		"num_segments":  "1",
		"date_created":  m.Created.Format(time.RFC1123Z),
		"date_updated":  m.Created.Format(time.RFC1123Z),
		"error_code":    nil,
		"error_message": nil,
		"uri":           "/2010-04-01/Accounts/" + m.AccountSID + "/Messages/" + m.SID + ".json",
	})
}

func writeTwilioError(w http.ResponseWriter, e twilioReply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code":      e.code,
		"message":   e.message,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", e.code),
		"status":    e.status,
	})
}
