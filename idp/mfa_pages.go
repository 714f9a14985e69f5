package idp

import (
	"encoding/base64"
	"html/template"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/mfa/backupcodes"
	"github.com/gatehouse-idp/gatehouse/mfa/totp"
)

// Rendering of the /login/2fa pages (templates/pages/mfa.html).

type mfaData struct {
	pageData
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

func (s *Server) mfaData(p *tenantProvider, txn *loginTxn, status int, title, errMsg, notice string) *mfaData {
	return &mfaData{
		pageData: pageData{Title: title, TenantName: p.tenant.Name, Error: errMsg, Message: notice,
			Action: s.tenantURL(p.tenant.Slug) + "/login/2fa", AuthRequestID: txn.ar.ID,
			FormActions: []string{redirectOrigin(txn.ar)}},
		Base: s.tenantURL(p.tenant.Slug), Step: txn.st.Step,
	}
}

func (s *Server) renderChallenge(w http.ResponseWriter, r *http.Request, p *tenantProvider, txn *loginTxn, factorID string, status int, errMsg, notice string) {
	ctx := r.Context()
	usable, err := s.factors.UsableFactors(ctx, p.tenant.ID, txn.u.ID, txn.mp)
	if err != nil {
		s.pages.Unavailable(w, r, "list factors", err)
		return
	}
	d := s.mfaData(p, txn, status, "Verify it's you", errMsg, notice)
	d.RememberDays = txn.mp.RememberDays
	if set, err := s.store.BackupCodeSet(ctx, p.tenant.ID, txn.u.ID); err == nil {
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
	s.renderPage(w, status, "mfa", d)
}

func (s *Server) renderEnroll(w http.ResponseWriter, r *http.Request, p *tenantProvider, txn *loginTxn, status int, errMsg, notice string) {
	d := s.mfaData(p, txn, status, "Set up a second sign-in method", errMsg, notice)
	for _, m := range txn.mp.Methods {
		if k, ok := factors.KindViews[m]; ok {
			d.Kinds = append(d.Kinds, k)
			d.Script = d.Script || m == policy.MethodWebAuthn
		}
	}
	if len(d.Kinds) == 0 {
		s.render(w, http.StatusForbidden, "error", &pageData{Title: "Second factor required", TenantName: p.tenant.Name,
			Message: "Your organisation requires a second sign-in method, but none can be set up right now. Contact your administrator."})
		return
	}
	if txn.st.FactorID != "" {
		f, err := s.store.FactorByID(r.Context(), p.tenant.ID, txn.u.ID, txn.st.FactorID)
		if err == nil && !f.Verified {
			v := factors.ViewOf(f)
			d.Enrolling = &v
			if f.Kind == store.FactorTOTP {
				if err := s.totpView(p.tenant, txn.u, f, &d.QR, &d.Secret); err != nil {
					s.pages.Unavailable(w, r, "totp enrollment", err)
					return
				}
				d.Account = txn.u.Email
			}
		}
	}
	s.renderPage(w, status, "mfa", d)
}

// totpView fills the QR code (a data: URL of the PNG) and the secret text.
func (s *Server) totpView(t *store.Tenant, u *store.User, f *store.Factor, qr *template.URL, secret *string) error {
	k, err := s.factors.TOTPKey(t, u, f)
	if err != nil {
		return err
	}
	png, err := k.QRCodePNG(totp.DefaultQRSize)
	if err != nil {
		return err
	}
	// Safe: base64 of bytes we generated, in a fixed data: URL.
	*qr = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	*secret = k.SecretText()
	return nil
}

// renderCodes shows freshly generated backup codes (codes != nil), or, on a
// reload, that they were shown already.
func (s *Server) renderCodes(w http.ResponseWriter, r *http.Request, p *tenantProvider, txn *loginTxn, codes []string, status int) {
	d := s.mfaData(p, txn, status, "Save your backup codes", "", "")
	d.Step = stepCodes
	for _, c := range codes {
		d.Codes = append(d.Codes, backupcodes.Format(c))
	}
	d.CodesFile = s.tenantURL(p.tenant.Slug) + "/login/2fa/codes.txt?id=" + txn.ar.ID
	d.RememberDays = txn.mp.RememberDays
	s.renderPage(w, status, "mfa", d)
}
