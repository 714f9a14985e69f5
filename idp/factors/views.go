package factors

import (
	"errors"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// View is a factor as the sign-in and account pages show it.
type View struct {
	ID      string
	Kind    string
	Label   string
	Default bool
}

// ViewOf is f as pages show it.
func ViewOf(f *store.Factor) View {
	return View{ID: f.ID, Kind: f.Kind, Label: Label(f), Default: f.IsDefault}
}

// KindView is one method a user can set up, as pages offer it.
type KindView struct {
	Kind  string
	Label string
	Help  string
}

// KindViews are the methods pages offer, by policy method.
var KindViews = map[policy.Method]KindView{
	policy.MethodTOTP:     {store.FactorTOTP, "Authenticator app", "Google Authenticator, Microsoft Authenticator, 1Password, Aegis…"},
	policy.MethodWebAuthn: {store.FactorWebAuthn, "Passkey or security key", "Touch ID, Windows Hello, a phone or a YubiKey."},
	policy.MethodSMS:      {store.FactorSMS, "Text message", "A code sent to your mobile phone."},
	policy.MethodEmail:    {store.FactorEmail, "Email code", "A code sent to your email address (the weakest method)."},
}

// maxCredentialJSON bounds a posted WebAuthn response.
const maxCredentialJSON = 16 << 10

// CredentialForm reads the posted WebAuthn response (form field
// "credential"), refusing an empty or oversized one.
func CredentialForm(r *http.Request) ([]byte, bool) {
	c := r.PostForm.Get("credential")
	if c == "" || len(c) > maxCredentialJSON {
		return nil, false
	}
	return []byte(c), true
}

// RefusedAttempt answers a credential check the guard refused before any
// check: 503 when the counters could not be used (fail closed), else 429
// with Retry-After and the throttle's sentence through again. It reports
// whether err was such a refusal (and the page was answered).
func RefusedAttempt(w http.ResponseWriter, r *http.Request, pages *web.Pages, err error, again func(status int, msg string)) bool {
	var te *ThrottledError
	switch {
	case errors.Is(err, ErrThrottleUnavailable):
		pages.Unavailable(w, r, "brute-force counters", err)
	case errors.As(err, &te):
		w.Header().Set("Retry-After", te.RetryAfter())
		again(http.StatusTooManyRequests, te.Public())
	default:
		return false
	}
	return true
}

// ServeBackupCodes answers the download of u's unacknowledged backup codes
// as a .txt attachment; downloading acknowledges the set. It reports false
// (nothing written) when there is no such set.
func (s *Service) ServeBackupCodes(w http.ResponseWriter, r *http.Request, t *store.Tenant, u *store.User) bool {
	ctx := r.Context()
	body, set, err := s.BackupCodesFile(ctx, t, u)
	if err != nil {
		return false
	}
	if err := s.Store.AcknowledgeBackupCodes(ctx, t.ID, u.ID, set.ID, s.Clock()); err != nil {
		s.Log.Error("mfa: acknowledge backup codes", "tenant", t.Slug, "err", err)
	}
	s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFABackupCodesDownloaded, UserID: u.ID})
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+t.Slug+`-backup-codes.txt"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
	return true
}
