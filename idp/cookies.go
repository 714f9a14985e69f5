package idp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// The SSO session cookie holds "<session id>.<secret>.<MAC>". The session id
// also appears as `sid` in ID tokens, so it alone must not be a credential:
// the secret is 32 random bytes whose SHA-256 is the session's CookieHash,
// and the MAC (keyed from the master key) spares the database a lookup for
// forged cookies. A re-authentication of the same user replaces the secret
// (store.ReauthenticateSession): the cookie rotates, so a value planted or
// seen before no longer works, while the session id, its sid claim and the
// tokens issued under it stay. The database decides whether the session is
// still active.

func (s *Server) sessionCookieName(t *store.Tenant) string {
	if s.dev {
		return "gh_session_" + t.Slug
	}
	// __Host-: Secure, Path=/, no Domain — cannot be set by a sibling subdomain.
	return "__Host-gh_session_" + t.Slug
}

func (s *Server) cookieMAC(tenantID, sid, secret string) string {
	m := hmac.New(sha256.New, s.cookieKey)
	m.Write([]byte(tenantID + "/" + sid + "/" + secret))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// newSessionSecret returns a fresh cookie secret and the hash to store.
func (s *Server) newSessionSecret() (secret string, hash []byte, err error) {
	secret, err = seal.RandomToken(s.rand, 32)
	if err != nil {
		return "", nil, err
	}
	return secret, seal.HashToken(secret), nil
}

func (s *Server) setSessionCookie(w http.ResponseWriter, t *store.Tenant, sid, secret string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookieName(t), Value: sid + "." + secret + "." + s.cookieMAC(t.ID, sid, secret),
		Path: "/", HttpOnly: true, Secure: !s.dev, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, t *store.Tenant) {
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookieName(t), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: !s.dev, SameSite: http.SameSiteLaxMode,
	})
}

// sessionCookie returns the session id from an authentic cookie: a valid
// MAC and the secret the session holds now (so not one rotated away).
func (s *Server) sessionCookie(r *http.Request, t *store.Tenant) (string, bool) {
	c, err := r.Cookie(s.sessionCookieName(t))
	if err != nil {
		return "", false
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 || parts[0] == "" || len(parts[0]) > 64 || parts[1] == "" || len(parts[1]) > 64 {
		return "", false
	}
	sid, secret, mac := parts[0], parts[1], parts[2]
	if !hmac.Equal([]byte(mac), []byte(s.cookieMAC(t.ID, sid, secret))) {
		return "", false
	}
	sess, err := s.store.SessionByID(r.Context(), t.ID, sid)
	if err != nil || len(sess.CookieHash) == 0 || !seal.EqualHash(sess.CookieHash, seal.HashToken(secret)) {
		return "", false
	}
	return sid, true
}
