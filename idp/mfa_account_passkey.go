package idp

import (
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
	mfawebauthn "github.com/gatehouse-idp/gatehouse/mfa/webauthn"
)

// ---- passkey registration from the account page ----
//
// The ceremony is kept in a sealed, short-lived cookie bound to the
// session: registration has no login state to live in, and a replayed
// registration only meets the unique credential id.

const regCookieTTL = 5 * time.Minute

func (s *Server) regCookieName() string {
	if s.dev {
		return "gh_webauthn_reg"
	}
	return "__Host-gh_webauthn_reg"
}

func regLabel(p *tenantProvider, sess *store.Session) string {
	return p.tenant.ID + "/webauthn-reg/" + sess.ID
}

func (s *Server) securityWebAuthnBegin(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	sc, ok := s.loadSecurity(w, r, p)
	if !ok {
		return
	}
	if s.factors.RP == nil || !sc.mp.Allows(store.FactorWebAuthn) {
		web.JSONError(w, http.StatusForbidden, "Passkeys are not available.")
		return
	}
	opts, sess, err := s.factors.BeginRegistration(r.Context(), p.tenant.ID, sc.u)
	if err != nil {
		web.JSONError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	data, err := sess.Marshal()
	if err == nil {
		data, err = s.sealer.Seal(seal.PurposeFactorSecret, regLabel(p, sc.sess), data)
	}
	if err != nil {
		web.JSONError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.regCookieName(), Value: encodeCookie(data), Path: "/", MaxAge: int(regCookieTTL.Seconds()),
		HttpOnly: true, Secure: !s.dev, SameSite: http.SameSiteStrictMode})
	web.RawJSON(w, http.StatusOK, opts)
}

func (s *Server) securityWebAuthnFinish(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	sc, ok := s.loadSecurity(w, r, p)
	if !ok || !s.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	http.SetCookie(w, &http.Cookie{Name: s.regCookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: !s.dev, SameSite: http.SameSiteStrictMode})
	var sess *mfawebauthn.Session
	if c, err := r.Cookie(s.regCookieName()); err == nil {
		if raw, err := decodeCookie(c.Value); err == nil {
			if plain, err := s.sealer.Open(seal.PurposeFactorSecret, regLabel(p, sc.sess), raw); err == nil {
				sess, _ = mfawebauthn.UnmarshalSession(plain)
			}
		}
	}
	body, ok := factors.CredentialForm(r)
	if sess == nil || !ok || !sc.mp.Allows(store.FactorWebAuthn) {
		s.renderSecurity(w, r, p, sc, http.StatusBadRequest, "The passkey did not answer in time. Try again.", "", nil)
		return
	}
	f, err := s.factors.FinishRegistration(ctx, p.tenant, sc.u, sess, body, r.PostForm.Get("name"))
	if err != nil {
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFAEnrollFailed, UserID: sc.u.ID, Detail: map[string]string{"kind": store.FactorWebAuthn}})
		s.log.Info("account: passkey registration refused", "tenant", p.tenant.Slug, "err", err)
		s.renderSecurity(w, r, p, sc, http.StatusBadRequest, "The passkey could not be registered. Try again.", "", nil)
		return
	}
	s.sensitiveDone(r, actFactorAdded, factors.Label(f))
	s.afterEnroll(w, r, p, sc)
}

func encodeCookie(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func decodeCookie(v string) ([]byte, error) {
	if len(v) > 4096 {
		return nil, errors.New("cookie too long")
	}
	return base64.RawURLEncoding.DecodeString(v)
}
