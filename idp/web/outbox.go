package web

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
)

// The dev outbox: GET /dev/outbox lists the emails and text messages the
// server "sent" in --dev mode (newest first), so a newcomer can try every
// factor without a provider. The root mounts it only when Options.Dev is
// set and an Outbox was given; it shows live codes to anyone who can reach it.

type outboxData struct {
	Page
	Emails []notify.SentEmail
	SMS    []notify.SentSMS
}

// Outbox is the dev outbox page of o.
func (p *Pages) Outbox(o *notify.Outbox) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		d := &outboxData{Page: Page{Title: "Dev outbox"}, Emails: o.Emails(), SMS: o.SMS()}
		p.Render(w, http.StatusOK, "outbox", d)
	})
}
