package idp

import (
	"net/http"
	"slices"
)

// routeMux is an http.ServeMux that remembers the patterns mounted on it,
// so tests can walk the route table (TestSensitiveRoutesAreGuarded checks
// that every state-changing account route is behind the sensitive guard).
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// Routes returns the patterns mounted by Handler, in mounting order ("GET
// /t/{tenant}/account", ...); nil before Handler was called.
func (s *Server) Routes() []string { return slices.Clone(s.routePatterns) }
