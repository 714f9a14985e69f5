package smtptest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Message is one accepted message, parsed.
type Message struct {
	EnvelopeFrom string   // MAIL FROM
	EnvelopeTo   []string // RCPT TO, in order
	AuthUser     string   // the AUTH PLAIN user, "" if the session did not authenticate
	TLS          bool     // whether DATA arrived over TLS

	Header  mail.Header   // raw headers; values are not MIME-decoded
	From    *mail.Address // the From header, display name decoded; nil if unparsable
	To      []*mail.Address
	Subject string // MIME-decoded
	Text    string // the first text/plain part, transfer-decoded, CRLF as LF, no final line break
	HTML    string // the first text/html part, likewise
	Raw     []byte // the DATA as received

	// ParseErr says why headers or parts could not be read; the fields above hold what
	// was parsed before the problem.
	ParseErr error
}

func (m Message) sentTo(addr string) bool {
	for _, to := range m.EnvelopeTo {
		if strings.EqualFold(to, addr) {
			return true
		}
	}
	return false
}

var wordDecoder = new(mime.WordDecoder)

func parse(raw []byte) Message {
	m := Message{Raw: raw}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.ParseErr = fmt.Errorf("reading headers: %w", err)
		return m
	}
	m.Header = msg.Header
	if m.Subject, err = wordDecoder.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		m.ParseErr = fmt.Errorf("decoding subject: %w", err)
		return m
	}
	if from, err := mail.ParseAddress(msg.Header.Get("From")); err == nil {
		m.From = from
	}
	if to, err := msg.Header.AddressList("To"); err == nil {
		m.To = to
	}
	if err := m.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0); err != nil {
		m.ParseErr = err
	}
	return m
}

// walk descends into multipart bodies and keeps the first text/plain and text/html
// leaves. Charsets other than UTF-8 are not converted: Gatehouse only sends UTF-8.
func (m *Message) walk(contentType, encoding string, body io.Reader, depth int) error {
	if depth > 10 {
		return fmt.Errorf("multipart nesting deeper than 10")
	}
	if contentType == "" {
		contentType = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content-type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", mediaType, err)
			}
			if err := m.walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part, depth+1); err != nil {
				return err
			}
		}
	}
	decoded, err := io.ReadAll(decode(encoding, body))
	if err != nil {
		return fmt.Errorf("%s body (%s): %w", mediaType, encoding, err)
	}
	// SMTP turns every line break into CRLF and go-mail ends each part with one; give
	// tests back the text as written.
	text := strings.TrimRight(strings.ReplaceAll(string(decoded), "\r\n", "\n"), "\n")
	switch {
	case mediaType == "text/plain" && m.Text == "":
		m.Text = text
	case mediaType == "text/html" && m.HTML == "":
		m.HTML = text
	}
	return nil
}

func decode(encoding string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r) // ignores CR and LF
	default: // 7bit, 8bit, binary
		return r
	}
}
