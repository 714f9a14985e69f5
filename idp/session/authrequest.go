package session

import (
	"net/http"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Sign-in requests are bound to the browser that started them. The auth
// request id travels in URLs (/login?id=…, /login/2fa?id=…) and in
// zitadel's callback, so it is no secret: someone who learns it must not be
// able to post the password, pass or enrol the second factor, finish a
// passkey or federated sign-in, or collect the code from another browser.
//
// Whoever creates an auth request (the OP's /authorize, the account pages,
// a re-authentication from the security page) calls CreateAuthRequest: the
// browser gets the __Host-gh_login_{tenant} cookie (Secure, HttpOnly,
// SameSite=Lax, Path=/) holding 32 random bytes, and the request stores
// their SHA-256. A browser that has the cookie already keeps it, so
// sign-ins in two tabs do not undo each other. The store refuses a request
// without a binding.
//
// Whoever loads a pending request — every step of the sign-in transaction,
// and zitadel's callback in idp/op — checks BoundToBrowser, which fails
// closed. SameSite=Lax cookies come along on the top-level GET redirect back
// from an upstream identity provider, so federated sign-ins keep working.

// AuthRequestTTL is how long a sign-in may take: an authorization request
// expires this long after it was created.
const AuthRequestTTL = 30 * time.Minute

// AuthCodeTTL is how long the code of a completed request may wait to be
// redeemed: the request is marked done with this expiry.
const AuthCodeTTL = 2 * time.Minute

// bindingBytes is the size of the random binding cookie value.
const bindingBytes = 32

func (s *Service) bindingCookieName(t *store.Tenant) string {
	if s.Dev {
		return "gh_login_" + t.Slug // plain http in dev mode, as the session cookie
	}
	return "__Host-gh_login_" + t.Slug
}

// browserBinding returns the binding value of the browser's cookie.
func (s *Service) browserBinding(r *http.Request, t *store.Tenant) (string, bool) {
	c, err := r.Cookie(s.bindingCookieName(t))
	if err != nil || len(c.Value) < 43 || len(c.Value) > 64 {
		return "", false
	}
	return c.Value, true
}

// binding returns the hash to store on a new auth request of this browser,
// setting the cookie when the browser has none yet.
func (s *Service) binding(w http.ResponseWriter, r *http.Request, t *store.Tenant) ([]byte, error) {
	if v, ok := s.browserBinding(r, t); ok {
		return seal.HashToken(v), nil
	}
	v, err := seal.RandomToken(s.Rand, bindingBytes)
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.bindingCookieName(t), Value: v,
		Path: "/", HttpOnly: true, Secure: !s.Dev, SameSite: http.SameSiteLaxMode,
	})
	return seal.HashToken(v), nil
}

// CreateAuthRequest stores ar bound to this browser (its BrowserBinding is
// set here), giving the browser its binding cookie if it has none yet.
func (s *Service) CreateAuthRequest(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest) error {
	b, err := s.binding(w, r, t)
	if err != nil {
		return err
	}
	ar.BrowserBinding = b
	return s.Store.CreateAuthRequest(r.Context(), ar)
}

// BoundToBrowser is THE check: the request was started by this browser.
func (s *Service) BoundToBrowser(r *http.Request, t *store.Tenant, ar *store.AuthRequest) bool {
	v, ok := s.browserBinding(r, t)
	return ok && len(ar.BrowserBinding) > 0 && seal.EqualHash(ar.BrowserBinding, seal.HashToken(v))
}
