package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse/templates"
)

// pageNames are the pages in templates/pages, each rendered inside layout.html.
var pageNames = []string{"login", "error", "setup", "message", "account",
	"federated", "connections", // federation: refusal/proof page, account connections
	"mfa", "security", "outbox", // second factors: login step, account security, dev outbox
	"password", "forgot", "sessions", "devices", // access policies
	"activity", // the audit log: a person's own security activity
	"home",     // / : what a newcomer needs in dev mode, nothing in production
	"confirm",  // the sensitive-action guard's "confirm it's you"
	"logout"}   // end_session confirmation

// Pages renders the HTML pages: one template set per page, each combined
// with the shared layout, and the static files they use.
type Pages struct {
	set    map[string]*template.Template
	Static fs.FS
	Log    *slog.Logger
}

// NewPages parses every page template.
func NewPages(log *slog.Logger) (*Pages, error) {
	root := templates.FS()
	p := &Pages{set: map[string]*template.Template{}, Log: log}
	for _, name := range pageNames {
		t, err := template.ParseFS(root, "pages/layout.html", "pages/"+name+".html")
		if err != nil {
			return nil, err
		}
		p.set[name] = t
	}
	static, err := fs.Sub(root, "static")
	if err != nil {
		return nil, err
	}
	p.Static = static
	return p, nil
}

// Page is what every page receives; page-specific structs embed it and add
// their own fields.
type Page struct {
	Title      string
	TenantName string
	Error      string
	Message    string
	Back       string
	BackLabel  string
	Action     string

	AuthRequestID string
	Email         string
	Name          string
	ClientName    string
	Token         string

	// Federation: sign-in buttons, and upstream origins the page's forms
	// may lead to (form-action CSP).
	Connections []ConnectionButton
	FormActions []string
	// Passkey offers passwordless sign-in on the login page.
	Passkey bool

	// ForgotURL is the "Forgot password?" link (only when email is configured).
	ForgotURL string
}

// ConnectionButton is one "Sign in with ..." button: a POST to Action.
type ConnectionButton struct {
	Label  string
	Action string
}

func (d *Page) formActionSources() []string { return d.FormActions }

// Render writes page name with data d (a *Page, or a struct embedding one).
// Rendering goes to a buffer first so a template error never leaves half a
// page behind.
func (p *Pages) Render(w http.ResponseWriter, status int, name string, d any) {
	var buf bytes.Buffer
	t, ok := p.set[name]
	if !ok {
		p.Log.Error("render page: no such page", "page", name)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		p.Log.Error("render page", "page", name, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", CSP(d))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Error renders the one error page.
func (p *Pages) Error(w http.ResponseWriter, status int, title, msg string) {
	p.Render(w, status, "error", &Page{Title: title, Message: msg})
}

// Unavailable is the one "temporarily unavailable" answer of a page: what
// failed is logged with the request id, the person sees a 503 page that
// tells them to try again.
func (p *Pages) Unavailable(w http.ResponseWriter, r *http.Request, what string, err error) {
	p.Log.Error(what, "tenant", r.PathValue("tenant"), "err", err, "request_id", RequestID(r.Context()))
	p.Error(w, http.StatusServiceUnavailable, "Temporarily unavailable", "Please try again in a moment.")
}

// CSP is a page's Content-Security-Policy: nothing inline, nothing from
// elsewhere, and forms may post only to this origin and to the upstream
// origins the page names (federation buttons).
func CSP(d any) string {
	fa := "'self'"
	if pd, ok := d.(interface{ formActionSources() []string }); ok {
		for _, src := range pd.formActionSources() {
			if src != "" && !strings.ContainsAny(src, " ;,'\"") {
				fa += " " + src
			}
		}
	}
	// script-src/connect-src 'self': static/webauthn.js and its option fetches (passkeys).
	return fmt.Sprintf("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action %s; frame-ancestors 'none'; base-uri 'none'", fa)
}

// Field limits for sign-in and account forms: generous, but bounded before
// any hashing.
const (
	MaxEmailLen    = 254
	MaxPasswordLen = 1024
)

// Truncate cuts v to at most n bytes (stored user input: names, labels).
func Truncate(v string, n int) string {
	if len(v) > n {
		return v[:n]
	}
	return v
}

// PasswordPage is what password.html renders: a new-password form (the
// reset link, the expired-password step, the account page).
type PasswordPage struct {
	Page
	Step        string
	NeedCurrent bool
	Rules       string
	// AskCode shows the second-factor code field (the reset form).
	AskCode bool
}
