package idp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// The SSO session cookie holds "<session id>.<MAC>". The session id also
// appears as `sid` in ID tokens, so it alone must not be a credential: the
// MAC, keyed from the master key, is what a relying party cannot forge.
// The session itself lives in the database, which decides whether it is
// still active.

func (s *Server) sessionCookieName(t *store.Tenant) string {
	if s.dev {
		return "gh_session_" + t.Slug
	}
	// __Host-: Secure, Path=/, no Domain — cannot be set by a sibling subdomain.
	return "__Host-gh_session_" + t.Slug
}

func (s *Server) cookieMAC(tenantID, sid string) string {
	m := hmac.New(sha256.New, s.cookieKey)
	m.Write([]byte(tenantID + "/" + sid))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) setSessionCookie(w http.ResponseWriter, t *store.Tenant, sid string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookieName(t), Value: sid + "." + s.cookieMAC(t.ID, sid),
		Path: "/", HttpOnly: true, Secure: !s.dev, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, t *store.Tenant) {
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookieName(t), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: !s.dev, SameSite: http.SameSiteLaxMode,
	})
}

// sessionCookie returns the session id from an authentic cookie.
func (s *Server) sessionCookie(r *http.Request, t *store.Tenant) (string, bool) {
	c, err := r.Cookie(s.sessionCookieName(t))
	if err != nil {
		return "", false
	}
	sid, mac, ok := strings.Cut(c.Value, ".")
	if !ok || sid == "" || len(sid) > 64 {
		return "", false
	}
	if !hmac.Equal([]byte(mac), []byte(s.cookieMAC(t.ID, sid))) {
		return "", false
	}
	return sid, true
}
