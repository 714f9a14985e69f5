package idp

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/mfa/backupcodes"
	"github.com/gatehouse-idp/gatehouse/mfa/otp"
	"github.com/gatehouse-idp/gatehouse/mfa/totp"
)

// Enrollment, shared by the login transaction (a user who must use a second
// factor but has none) and the account security page: a factor is created
// unverified and becomes usable only once its first code was entered (TOTP,
// SMS, email) or its registration verified (WebAuthn).

const maxFactorName = 64

func defaultFactorName(kind string) string {
	switch kind {
	case store.FactorTOTP:
		return "Authenticator app"
	case store.FactorSMS:
		return "Mobile phone"
	case store.FactorEmail:
		return "Email"
	}
	return "Passkey"
}

// cleanName trims a user-given label to something displayable.
func cleanName(name, kind string) string {
	name = strings.Join(strings.FieldsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f || r == ' ' }), " ")
	if r := []rune(name); len(r) > maxFactorName {
		name = string(r[:maxFactorName])
	}
	if name == "" {
		return defaultFactorName(kind)
	}
	return name
}

// startEnrollment creates an unverified factor of kind (totp, sms, email)
// for u, replacing the user's earlier unfinished enrollments.
func (s *Server) startEnrollment(ctx context.Context, t *store.Tenant, u *store.User, kind, phone string) (*store.Factor, error) {
	if err := s.dropUnverified(ctx, t.ID, u.ID); err != nil {
		return nil, err
	}
	now := s.clock()
	f := &store.Factor{ID: store.NewID(), TenantID: t.ID, UserID: u.ID, Kind: kind, Name: defaultFactorName(kind), CreatedAt: now}
	switch kind {
	case store.FactorTOTP:
		secret, err := totp.NewSecret(s.rand)
		if err != nil {
			return nil, err
		}
		if f.SecretSealed, err = s.sealer.Seal(seal.PurposeFactorSecret, totpLabel(f), secret); err != nil {
			return nil, err
		}
	case store.FactorSMS:
		e164, err := otp.NormalizePhone(phone, "")
		if err != nil {
			return nil, errPhone
		}
		f.Destination = e164
	case store.FactorEmail:
		f.Destination = u.Email
	default:
		return nil, errKindNotAllowed
	}
	if err := s.store.CreateFactor(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// dropUnverified removes a user's unfinished enrollments.
func (s *Server) dropUnverified(ctx context.Context, tenantID, userID string) error {
	all, err := s.store.ListFactors(ctx, tenantID, userID)
	if err != nil {
		return err
	}
	for _, f := range all {
		if !f.Verified {
			if err := s.store.DeleteFactor(ctx, tenantID, userID, f.ID); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	return nil
}

// confirmEnrollment checks the first code of an unverified factor, reserved
// against g (the account's second-factor failures), and activates it.
func (s *Server) confirmEnrollment(ctx context.Context, g attemptGuard, t *store.Tenant, u *store.User, f *store.Factor, code string) error {
	if f.Kind != store.FactorTOTP && f.Kind != store.FactorSMS && f.Kind != store.FactorEmail {
		return errKindNotAllowed
	}
	// A TOTP step is spent by this check: this code cannot sign in later.
	c := &codeCredential{t: t, u: u, factors: []*store.Factor{f}, purpose: store.OTPPurposeEnroll, binding: f.ID, code: code}
	if err := s.verifyThrottled(ctx, g, c); err != nil {
		return err
	}
	return s.activateFactor(ctx, t, u, f)
}

// activateFactor marks f verified, makes it the default when the user has
// none, records the event and tells the user.
func (s *Server) activateFactor(ctx context.Context, t *store.Tenant, u *store.User, f *store.Factor) error {
	f.Verified = true
	if err := s.store.UpdateFactor(ctx, f); err != nil {
		return err
	}
	all, err := s.store.ListFactors(ctx, t.ID, u.ID)
	if err != nil {
		return err
	}
	hasDefault := false
	for _, o := range all {
		hasDefault = hasDefault || (o.Verified && o.IsDefault)
	}
	if !hasDefault {
		if err := s.store.SetDefaultFactor(ctx, t.ID, u.ID, f.ID); err != nil {
			return err
		}
		f.IsDefault = true
	}
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAFactorEnrolled, UserID: u.ID,
		Detail: map[string]string{"factor_id": f.ID, "kind": f.Kind}})
	s.mailer.Notify(ctx, t, u, mailer.FactorAdded, map[string]any{"Factor": factorLabel(f)})
	return nil
}

func backupLabel(tenantID, setID string) string { return tenantID + "/backup-codes/" + setID }

// newBackupCodes generates the user's backup codes, replacing any earlier
// set, and returns them for showing once.
func (s *Server) newBackupCodes(ctx context.Context, t *store.Tenant, u *store.User) ([]string, error) {
	codes, err := backupcodes.Generate(s.rand)
	if err != nil {
		return nil, err
	}
	hashes, err := backupcodes.Hashes(s.mfa.pepper, codes)
	if err != nil {
		return nil, err
	}
	set := &store.BackupCodeSet{ID: store.NewID(), TenantID: t.ID, UserID: u.ID, CreatedAt: s.clock()}
	if set.SealedCodes, err = s.sealer.Seal(seal.PurposeFactorSecret, backupLabel(t.ID, set.ID), []byte(strings.Join(codes, "\n"))); err != nil {
		return nil, err
	}
	for i, h := range hashes {
		set.Codes = append(set.Codes, store.BackupCode{Index: i, Hash: h})
	}
	if err := s.store.ReplaceBackupCodes(ctx, set); err != nil {
		return nil, err
	}
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFABackupCodesGenerated, UserID: u.ID,
		Detail: map[string]string{"set_id": set.ID}})
	return codes, nil
}

// backupCodesFile is the .txt of a set the user has not acknowledged yet
// (ErrNotFound once it was: the plaintext is gone).
func (s *Server) backupCodesFile(ctx context.Context, t *store.Tenant, u *store.User) ([]byte, *store.BackupCodeSet, error) {
	set, err := s.store.BackupCodeSet(ctx, t.ID, u.ID)
	if err != nil {
		return nil, nil, err
	}
	if len(set.SealedCodes) == 0 {
		return nil, nil, store.ErrNotFound
	}
	plain, err := s.sealer.Open(seal.PurposeFactorSecret, backupLabel(t.ID, set.ID), set.SealedCodes)
	if err != nil {
		return nil, nil, err
	}
	return backupcodes.Text(t.Name, u.Email, strings.Split(string(plain), "\n"), set.CreatedAt), set, nil
}

// serveCodesFile sends the .txt download and marks the set saved.
func (s *Server) serveCodesFile(w http.ResponseWriter, r *http.Request, t *store.Tenant, u *store.User) bool {
	ctx := r.Context()
	body, set, err := s.backupCodesFile(ctx, t, u)
	if err != nil {
		return false
	}
	if err := s.store.AcknowledgeBackupCodes(ctx, t.ID, u.ID, set.ID, s.clock()); err != nil {
		s.log.Error("mfa: acknowledge backup codes", "tenant", t.Slug, "err", err)
	}
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFABackupCodesDownloaded, UserID: u.ID})
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+t.Slug+`-backup-codes.txt"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
	return true
}

// ---- enrollment inside the login transaction ----

// mfaEnroll starts enrolling a TOTP, SMS or email factor during sign-in.
func (s *Server) mfaEnroll(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.formTxn(w, r, p, stepEnroll)
	if !ok {
		return
	}
	ctx := r.Context()
	kind := r.PostForm.Get("kind")
	if kind == store.FactorWebAuthn || !txn.mp.allows(kind) {
		s.renderEnroll(w, r, p, txn, http.StatusBadRequest, errKindNotAllowed.Error(), "")
		return
	}
	f, err := s.startEnrollment(ctx, p.tenant, txn.u, kind, r.PostForm.Get("phone"))
	if err != nil {
		s.enrollError(w, r, p, txn, err)
		return
	}
	txn.st.FactorID = f.ID
	if err := s.store.AdvanceLoginState(ctx, txn.st, stepEnroll); err != nil {
		s.expiredLogin(w, r)
		return
	}
	extra := url.Values{}
	if kind == store.FactorSMS || kind == store.FactorEmail {
		if err := s.sendCode(ctx, p.tenant, txn.u, f, store.OTPPurposeEnroll, f.ID); err != nil {
			s.enrollError(w, r, p, txn, err)
			return
		}
		extra.Set("sent", "1")
	}
	http.Redirect(w, r, s.mfaURL(p, txn.ar.ID, extra), http.StatusSeeOther)
}

func (s *Server) enrollError(w http.ResponseWriter, r *http.Request, p *tenantProvider, txn *loginTxn, err error) {
	if userFacing(err) {
		s.renderEnroll(w, r, p, txn, http.StatusBadRequest, err.Error(), "")
		return
	}
	s.mfaUnavailable(w, r, p, "enroll", err)
}

// mfaEnrollVerify confirms the factor being enrolled with its first code.
func (s *Server) mfaEnrollVerify(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.formTxn(w, r, p, stepEnroll)
	if !ok {
		return
	}
	ctx := r.Context()
	f, err := s.store.FactorByID(ctx, p.tenant.ID, txn.u.ID, txn.st.FactorID)
	if err != nil || f.Verified || !txn.mp.allows(f.Kind) {
		s.renderEnroll(w, r, p, txn, http.StatusBadRequest, "Choose a method to set up.", "")
		return
	}
	code := r.PostForm.Get("code")
	if len(code) > 64 {
		code = ""
	}
	if err := s.confirmEnrollment(ctx, loginFactorGuard(p, txn), p.tenant, txn.u, f, code); err != nil {
		if s.factorRefused(w, r, p, txn, err) {
			return
		}
		s.factorFailed(r, p, txn, f.Kind, err)
		if !userFacing(err) {
			s.mfaUnavailable(w, r, p, "confirm enrollment", err)
			return
		}
		s.renderEnroll(w, r, p, txn, http.StatusUnauthorized, err.Error(), "")
		return
	}
	s.enrolledInLogin(w, r, p, txn, policy.Method(f.Kind))
}

// enrolledInLogin continues after a first factor was enrolled and used:
// backup codes once (if the user has none), then the session.
func (s *Server) enrolledInLogin(w http.ResponseWriter, r *http.Request, p *tenantProvider, txn *loginTxn, m policy.Method) {
	ctx := r.Context()
	methods, upstream := decodeMethods(txn.st.Methods)
	methods = append(methods, m)
	_, err := s.store.BackupCodeSet(ctx, p.tenant.ID, txn.u.ID)
	if err == nil { // codes exist (an admin reset keeps none): go on
		txn.st.Step, txn.st.Methods, txn.st.Ceremony = stepDone, encodeMethods(methods, upstream), nil
		if err := s.store.AdvanceLoginState(ctx, txn.st, stepEnroll); err != nil {
			s.expiredLogin(w, r)
			return
		}
		s.finishSignIn(w, r, p, txn.ar, txn.u, methods, upstream, 0)
		return
	}
	if !isNotFound(err) {
		s.mfaUnavailable(w, r, p, "load backup codes", err)
		return
	}
	txn.st.Step, txn.st.Methods, txn.st.Ceremony = stepCodes, encodeMethods(methods, upstream), nil
	if err := s.store.AdvanceLoginState(ctx, txn.st, stepEnroll); err != nil {
		s.expiredLogin(w, r)
		return
	}
	codes, err := s.newBackupCodes(ctx, p.tenant, txn.u)
	if err != nil {
		s.mfaUnavailable(w, r, p, "backup codes", err)
		return
	}
	s.renderCodes(w, r, p, txn, codes, http.StatusOK)
}

// mfaCodesDone: the user saw the backup codes; the sign-in completes.
func (s *Server) mfaCodesDone(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.formTxn(w, r, p, stepCodes)
	if !ok {
		return
	}
	ctx := r.Context()
	if r.PostForm.Get("saved") == "on" {
		if set, err := s.store.BackupCodeSet(ctx, p.tenant.ID, txn.u.ID); err == nil {
			if err := s.store.AcknowledgeBackupCodes(ctx, p.tenant.ID, txn.u.ID, set.ID, s.clock()); err != nil {
				s.log.Error("login: acknowledge backup codes", "tenant", p.tenant.Slug, "err", err)
			}
		}
	}
	methods, upstream := decodeMethods(txn.st.Methods)
	txn.st.Step = stepDone
	if err := s.store.AdvanceLoginState(ctx, txn.st, stepCodes); err != nil {
		s.expiredLogin(w, r)
		return
	}
	var keep time.Duration
	if r.PostForm.Get("remember") == "on" && txn.mp.rememberDays > 0 {
		keep = time.Duration(txn.mp.rememberDays) * 24 * time.Hour
	}
	s.finishSignIn(w, r, p, txn.ar, txn.u, methods, upstream, keep)
}

// mfaCodesFile downloads the backup codes shown in this sign-in.
func (s *Server) mfaCodesFile(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.loadTxn(w, r, p, r.URL.Query().Get("id"), stepCodes)
	if !ok {
		return
	}
	if !s.serveCodesFile(w, r, p.tenant, txn.u) {
		s.renderCodes(w, r, p, txn, nil, http.StatusGone)
	}
}
