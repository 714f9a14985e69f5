package idp

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Sign-in transactions are bound to the browser that started them. The
// auth request id travels in URLs (/login?id=…, /login/2fa?id=…) and in
// zitadel's callback, so it is no secret: someone who learns it must not be
// able to post the password, pass or enrol the second factor, finish a
// passkey or federated sign-in, or collect the code from another browser.
//
// Whoever creates an auth request (zitadel's /authorize through
// opStorage.CreateAuthRequest, the account pages, re-authentication) calls
// createBoundAuthRequest / loginBinding: the browser gets the
// __Host-gh_login_{tenant} cookie (Secure, HttpOnly, SameSite=Lax, Path=/)
// holding 32 random bytes, and the request stores their SHA-256. A browser
// that has the cookie already keeps it, so sign-ins in two tabs do not undo
// each other. The store refuses a request without a binding.
//
// Whoever loads a pending request for a login step goes through
// loadPendingRequest, and zitadel's callback through
// opStorage.AuthRequestByID; both call boundToBrowser, which fails closed.
// SameSite=Lax cookies come along on the top-level GET redirect back from an
// upstream identity provider, so federated sign-ins keep working.

// loginBindingBytes is the size of the random cookie value.
const loginBindingBytes = 32

func (s *Server) loginBindingCookieName(t *store.Tenant) string {
	if s.dev {
		return "gh_login_" + t.Slug // plain http in dev mode, as the session cookie
	}
	return "__Host-gh_login_" + t.Slug
}

// browserLoginBinding returns the binding value of the browser's cookie.
func (s *Server) browserLoginBinding(r *http.Request, t *store.Tenant) (string, bool) {
	c, err := r.Cookie(s.loginBindingCookieName(t))
	if err != nil || len(c.Value) < 43 || len(c.Value) > 64 {
		return "", false
	}
	return c.Value, true
}

// loginBinding returns the hash to store on a new auth request of this
// browser, setting the cookie when the browser has none yet.
func (s *Server) loginBinding(w http.ResponseWriter, r *http.Request, t *store.Tenant) ([]byte, error) {
	if v, ok := s.browserLoginBinding(r, t); ok {
		return seal.HashToken(v), nil
	}
	v, err := seal.RandomToken(s.rand, loginBindingBytes)
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.loginBindingCookieName(t), Value: v,
		Path: "/", HttpOnly: true, Secure: !s.dev, SameSite: http.SameSiteLaxMode,
	})
	return seal.HashToken(v), nil
}

// createBoundAuthRequest stores an internal auth request (account pages,
// re-authentication) bound to this browser.
func (s *Server) createBoundAuthRequest(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest) error {
	b, err := s.loginBinding(w, r, t)
	if err != nil {
		return err
	}
	ar.BrowserBinding = b
	return s.store.CreateAuthRequest(r.Context(), ar)
}

// boundToBrowser is THE check: the request was started by this browser.
func (s *Server) boundToBrowser(r *http.Request, t *store.Tenant, ar *store.AuthRequest) bool {
	v, ok := s.browserLoginBinding(r, t)
	return ok && len(ar.BrowserBinding) > 0 && seal.EqualHash(ar.BrowserBinding, seal.HashToken(v))
}
