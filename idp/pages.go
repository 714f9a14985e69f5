package idp

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/templates"
)

// pageNames are the pages in templates/pages, each rendered inside layout.html.
var pageNames = []string{"login", "error", "setup", "message", "account",
	"federated", "connections", // federation: refusal/proof page, account connections
	"mfa", "security", "outbox", // second factors: login step, account security, dev outbox
	"password", "forgot", "sessions", "devices", // access policies (issue 5)
	"confirm", // the sensitive-action guard's "confirm it's you" (sensitive.go)
	"logout"}  // end_session confirmation (logout.go)

// pages holds the parsed page templates: one template set per page, each
// combined with the shared layout.
type pages struct {
	set    map[string]*template.Template
	static fs.FS
}

func newPages() (*pages, error) {
	root := templates.FS()
	p := &pages{set: map[string]*template.Template{}}
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
	p.static = static
	return p, nil
}

// pageData is what every page receives; page-specific fields ride along.
type pageData struct {
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
	Connections []connectionButton
	FormActions []string
	// Passkey offers passwordless sign-in on the login page (mfa_webauthn.go).
	Passkey bool

	// Access policies: the "Forgot password?" link (only when email is configured).
	ForgotURL string
}

// render writes a page; rendering goes to a buffer first so a template
// error never leaves half a page behind.
func (s *Server) render(w http.ResponseWriter, status int, name string, d *pageData) {
	s.renderPage(w, status, name, d)
}

// renderPage renders any page data (pages embed pageData for the layout).
func (s *Server) renderPage(w http.ResponseWriter, status int, name string, d any) {
	var buf bytes.Buffer
	if err := s.pages.set[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pageCSP(d))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	s.render(w, status, "error", &pageData{Title: title, Message: msg})
}
