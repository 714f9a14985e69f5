package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
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

func (s *Service) cookieName(t *store.Tenant) string {
	if s.Dev {
		return "gh_session_" + t.Slug
	}
	// __Host-: Secure, Path=/, no Domain — cannot be set by a sibling subdomain.
	return "__Host-gh_session_" + t.Slug
}

func (s *Service) cookieMAC(tenantID, sid, secret string) string {
	m := hmac.New(sha256.New, s.CookieKey)
	m.Write([]byte(tenantID + "/" + sid + "/" + secret))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// newSecret returns a fresh cookie secret and the hash to store.
func (s *Service) newSecret() (secret string, hash []byte, err error) {
	secret, err = seal.RandomToken(s.Rand, 32)
	if err != nil {
		return "", nil, err
	}
	return secret, seal.HashToken(secret), nil
}

func (s *Service) setCookie(w http.ResponseWriter, t *store.Tenant, sid, secret string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(t), Value: sid + "." + secret + "." + s.cookieMAC(t.ID, sid, secret),
		Path: "/", HttpOnly: true, Secure: !s.Dev, SameSite: http.SameSiteLaxMode,
	})
}

// ClearCookie removes the browser's session cookie.
func (s *Service) ClearCookie(w http.ResponseWriter, t *store.Tenant) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(t), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: !s.Dev, SameSite: http.SameSiteLaxMode,
	})
}

// Cookie returns the session id from an authentic cookie: a valid MAC and
// the secret the session holds now (so not one rotated away). The session
// may have ended; Current is the active one.
func (s *Service) Cookie(r *http.Request, t *store.Tenant) (string, bool) {
	sess, err := s.fromCookie(r, t)
	if err != nil || sess == nil {
		return "", false
	}
	return sess.ID, true
}

// fromCookie returns the session an authentic cookie names, nil when the
// browser has no authentic cookie (or its session is unknown), and the
// store's error when the session could not be read.
func (s *Service) fromCookie(r *http.Request, t *store.Tenant) (*store.Session, error) {
	c, err := r.Cookie(s.cookieName(t))
	if err != nil {
		return nil, nil
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 || parts[0] == "" || len(parts[0]) > 64 || parts[1] == "" || len(parts[1]) > 64 {
		return nil, nil
	}
	sid, secret, mac := parts[0], parts[1], parts[2]
	if !hmac.Equal([]byte(mac), []byte(s.cookieMAC(t.ID, sid, secret))) {
		return nil, nil
	}
	sess, err := s.Store.SessionByID(r.Context(), t.ID, sid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	if len(sess.CookieHash) == 0 || !seal.EqualHash(sess.CookieHash, seal.HashToken(secret)) {
		return nil, nil
	}
	return sess, nil
}
