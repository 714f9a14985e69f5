package idp

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
)

// The dev outbox: GET /dev/outbox lists the emails and text messages the
// server "sent" in --dev mode (newest first), so a newcomer can try every
// factor without a provider. It is mounted only when Options.Dev is set and
// an Outbox was given; it shows live codes to anyone who can reach it.

type outboxData struct {
	pageData
	Emails []notify.SentEmail
	SMS    []notify.SentSMS
}

func (s *Server) devOutbox(w http.ResponseWriter, r *http.Request) {
	d := &outboxData{pageData: pageData{Title: "Dev outbox"}, Emails: s.outbox.Emails(), SMS: s.outbox.SMS()}
	s.renderPage(w, http.StatusOK, "outbox", d)
}
