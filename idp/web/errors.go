package web

import "errors"

// Public is an error whose text may be shown to the person at the page or
// returned to an API caller. Everything else about a failure is logged, not
// shown: an error that does not implement Public is an internal failure and
// the person sees a generic sentence.
type Public interface {
	error
	Public() string
}

// PublicText returns the text of the first Public error in err's chain.
func PublicText(err error) (string, bool) {
	var p Public
	if errors.As(err, &p) {
		return p.Public(), true
	}
	return "", false
}

// Message is the simple Public error: a constant sentence, comparable with
// errors.Is.
type Message string

func (m Message) Error() string  { return string(m) }
func (m Message) Public() string { return string(m) }
