package idp

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The page handlers still in this package render through idp/web. These
// names keep their call sites unchanged until the handlers move to
// idp/login, idp/account and idp/op, which use web.Pages directly.
type (
	pageData         = web.Page
	connectionButton = web.ConnectionButton
)

func (s *Server) render(w http.ResponseWriter, status int, name string, d *pageData) {
	s.pages.Render(w, status, name, d)
}

func (s *Server) renderPage(w http.ResponseWriter, status int, name string, d any) {
	s.pages.Render(w, status, name, d)
}

func (s *Server) renderError(w http.ResponseWriter, _ *http.Request, status int, title, msg string) {
	s.pages.Error(w, status, title, msg)
}
