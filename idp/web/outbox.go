package web

import (
	"net/http"
	"regexp"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
)

// The dev outbox: GET /dev/outbox lists the emails and text messages the
// server "sent" in --dev mode (newest first), so a newcomer can try every
// factor without a provider. The root mounts it only when Options.Dev is
// set and an Outbox was given; it shows live codes to anyone who can reach it.
// Links in a message (a password reset) are links here too.

type outboxMessage struct {
	At                time.Time
	To, From, Subject string
	Body              []textPart
}

// textPart is a run of a message's text, or a link in it.
type textPart struct{ Text, URL string }

type outboxData struct {
	Page
	Emails []outboxMessage
	SMS    []outboxMessage
}

// linkRE finds the http(s) links of a message.
var linkRE = regexp.MustCompile(`https?://[^\s<>"']+`)

// linkParts splits text into runs and links; html/template escapes both,
// and a link's href is only ever an http(s) URL from the message.
func linkParts(text string) []textPart {
	var out []textPart
	last := 0
	for _, m := range linkRE.FindAllStringIndex(text, -1) {
		if m[0] > last {
			out = append(out, textPart{Text: text[last:m[0]]})
		}
		out = append(out, textPart{Text: text[m[0]:m[1]], URL: text[m[0]:m[1]]})
		last = m[1]
	}
	if last < len(text) {
		out = append(out, textPart{Text: text[last:]})
	}
	return out
}

// Outbox is the dev outbox page of o.
func (p *Pages) Outbox(o *notify.Outbox) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		d := &outboxData{Page: Page{Title: "Dev outbox"}}
		for _, m := range o.Emails() {
			d.Emails = append(d.Emails, outboxMessage{At: m.At, To: m.To, From: m.FromName, Subject: m.Subject, Body: linkParts(m.Text)})
		}
		for _, m := range o.SMS() {
			d.SMS = append(d.SMS, outboxMessage{At: m.At, To: m.To, Body: linkParts(m.Body)})
		}
		p.Render(w, http.StatusOK, "outbox", d)
	})
}
