package login

import (
	"html/template"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
	"github.com/gatehouse-idp/gatehouse/mfa/backupcodes"
)

// Rendering of the /login/2fa pages (templates/pages/mfa.html).

type mfaData struct {
	web.Page
	Base   string // tenant URL
	Step   string
	Script bool // the page needs static/webauthn.js

	// challenge
	Factor       *factors.View
	Alternatives []factors.View
	Backup       bool // the backup-code form is shown
	BackupLeft   int
	RememberDays int

	// enrollment
	Kinds     []factors.KindView
	Enrolling *factors.View
	QR        template.URL
	Secret    string
	Account   string

	// backup codes
	Codes     []string
	CodesFile string
}

func (h *Handler) mfaData(t *store.Tenant, txn *loginTxn, status int, title, errMsg, notice string) *mfaData {
	return &mfaData{
		Page: web.Page{Title: title, TenantName: t.Name, Error: errMsg, Message: notice,
			Action: h.tenantURL(t.Slug) + "/login/2fa", AuthRequestID: txn.ar.ID,
			FormActions: []string{redirectOrigin(txn.ar)}},
		Base: h.tenantURL(t.Slug), Step: txn.st.Step,
	}
}

func (h *Handler) renderChallenge(w http.ResponseWriter, r *http.Request, t *store.Tenant, txn *loginTxn, factorID string, status int, errMsg, notice string) {
	ctx := r.Context()
	usable, err := h.Factors.UsableFactors(ctx, t.ID, txn.u.ID, txn.mp)
	if err != nil {
		h.Pages.Unavailable(w, r, "list factors", err)
		return
	}
	d := h.mfaData(t, txn, status, "Verify it's you", errMsg, notice)
	d.RememberDays = txn.mp.RememberDays
	if set, err := h.Store.BackupCodeSet(ctx, t.ID, txn.u.ID); err == nil {
		d.BackupLeft = set.Remaining()
	}
	d.Backup = factorID == "backup" || (len(usable) == 0 && d.BackupLeft > 0)
	for _, f := range usable {
		v := factors.ViewOf(f)
		if d.Factor == nil && !d.Backup && (factorID == "" || factorID == f.ID) {
			d.Factor = &v
			continue
		}
		d.Alternatives = append(d.Alternatives, v)
	}
	if d.Factor == nil && !d.Backup && len(usable) > 0 { // unknown id: the default
		v := factors.ViewOf(usable[0])
		d.Factor, d.Alternatives = &v, d.Alternatives[1:]
	}
	d.Script = d.Factor != nil && d.Factor.Kind == store.FactorWebAuthn
	h.Pages.Render(w, status, "mfa", d)
}

func (h *Handler) renderEnroll(w http.ResponseWriter, r *http.Request, t *store.Tenant, txn *loginTxn, status int, errMsg, notice string) {
	d := h.mfaData(t, txn, status, "Set up a second sign-in method", errMsg, notice)
	for _, m := range txn.mp.Methods {
		if k, ok := factors.KindViews[m]; ok {
			d.Kinds = append(d.Kinds, k)
			d.Script = d.Script || m == policy.MethodWebAuthn
		}
	}
	if len(d.Kinds) == 0 {
		h.Pages.Render(w, http.StatusForbidden, "error", &web.Page{Title: "Second factor required", TenantName: t.Name,
			Message: "Your organisation requires a second sign-in method, but none can be set up right now. Contact your administrator."})
		return
	}
	if txn.st.FactorID != "" {
		f, err := h.Store.FactorByID(r.Context(), t.ID, txn.u.ID, txn.st.FactorID)
		if err == nil && !f.Verified {
			v := factors.ViewOf(f)
			d.Enrolling = &v
			if f.Kind == store.FactorTOTP {
				if err := h.Factors.TOTPView(t, txn.u, f, &d.QR, &d.Secret); err != nil {
					h.Pages.Unavailable(w, r, "totp enrollment", err)
					return
				}
				d.Account = txn.u.Email
			}
		}
	}
	h.Pages.Render(w, status, "mfa", d)
}

// renderCodes shows freshly generated backup codes (codes != nil), or, on a
// reload, that they were shown already.
func (h *Handler) renderCodes(w http.ResponseWriter, r *http.Request, t *store.Tenant, txn *loginTxn, codes []string, status int) {
	d := h.mfaData(t, txn, status, "Save your backup codes", "", "")
	d.Step = stepCodes
	for _, c := range codes {
		d.Codes = append(d.Codes, backupcodes.Format(c))
	}
	d.CodesFile = h.tenantURL(t.Slug) + "/login/2fa/codes.txt?id=" + txn.ar.ID
	d.RememberDays = txn.mp.RememberDays
	h.Pages.Render(w, status, "mfa", d)
}
