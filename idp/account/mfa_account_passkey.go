package account

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

func (h *Handler) regCookieName() string {
	if h.Dev {
		return "gh_webauthn_reg"
	}
	return "__Host-gh_webauthn_reg"
}

func regLabel(t *store.Tenant, sess *store.Session) string {
	return t.ID + "/webauthn-reg/" + sess.ID
}

func (h *Handler) securityWebAuthnBegin(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	sc, ok := h.loadSecurity(w, r, t)
	if !ok {
		return
	}
	if h.Factors.RP == nil || !sc.mp.Allows(store.FactorWebAuthn) {
		web.JSONError(w, http.StatusForbidden, "Passkeys are not available.")
		return
	}
	opts, sess, err := h.Factors.BeginRegistration(r.Context(), t.ID, sc.u)
	if err != nil {
		web.JSONError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	data, err := sess.Marshal()
	if err == nil {
		data, err = h.Sealer.Seal(seal.PurposeFactorSecret, regLabel(t, sc.sess), data)
	}
	if err != nil {
		web.JSONError(w, http.StatusServiceUnavailable, "Temporarily unavailable.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: h.regCookieName(), Value: encodeCookie(data), Path: "/", MaxAge: int(regCookieTTL.Seconds()),
		HttpOnly: true, Secure: !h.Dev, SameSite: http.SameSiteStrictMode})
	web.RawJSON(w, http.StatusOK, opts)
}

func (h *Handler) securityWebAuthnFinish(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	sc, ok := h.loadSecurity(w, r, t)
	if !ok || !h.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	http.SetCookie(w, &http.Cookie{Name: h.regCookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: !h.Dev, SameSite: http.SameSiteStrictMode})
	var sess *mfawebauthn.Session
	if c, err := r.Cookie(h.regCookieName()); err == nil {
		if raw, err := decodeCookie(c.Value); err == nil {
			if plain, err := h.Sealer.Open(seal.PurposeFactorSecret, regLabel(t, sc.sess), raw); err == nil {
				sess, _ = mfawebauthn.UnmarshalSession(plain)
			}
		}
	}
	body, ok := factors.CredentialForm(r)
	if sess == nil || !ok || !sc.mp.Allows(store.FactorWebAuthn) {
		h.renderSecurity(w, r, t, sc, http.StatusBadRequest, "The passkey did not answer in time. Try again.", "", nil)
		return
	}
	f, err := h.Factors.FinishRegistration(ctx, t, sc.u, sess, body, r.PostForm.Get("name"))
	if err != nil {
		h.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAEnrollFailed, UserID: sc.u.ID, Detail: map[string]string{"kind": store.FactorWebAuthn}})
		h.Log.Info("account: passkey registration refused", "tenant", t.Slug, "err", err)
		h.renderSecurity(w, r, t, sc, http.StatusBadRequest, "The passkey could not be registered. Try again.", "", nil)
		return
	}
	h.sensitiveDone(r, actFactorAdded, factors.Label(f))
	h.afterEnroll(w, r, t, sc)
}

func encodeCookie(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func decodeCookie(v string) ([]byte, error) {
	if len(v) > 4096 {
		return nil, errors.New("cookie too long")
	}
	return base64.RawURLEncoding.DecodeString(v)
}
