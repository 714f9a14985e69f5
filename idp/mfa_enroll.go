package idp

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Enrolment of a first factor inside the login transaction (a user who
// must use a second factor but has none), and the backup codes that follow
// it. The enrolment itself is factors.Service's.

// mfaEnroll starts enrolling a TOTP, SMS or email factor during sign-in.
func (s *Server) mfaEnroll(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.formTxn(w, r, p, stepEnroll)
	if !ok {
		return
	}
	ctx := r.Context()
	kind := r.PostForm.Get("kind")
	if kind == store.FactorWebAuthn || !txn.mp.Allows(kind) {
		s.renderEnroll(w, r, p, txn, http.StatusBadRequest, factors.ErrKindNotAllowed.Public(), "")
		return
	}
	f, err := s.factors.StartEnrollment(ctx, p.tenant, txn.u, kind, r.PostForm.Get("phone"))
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
		if err := s.factors.SendCode(ctx, p.tenant, txn.u, f, store.OTPPurposeEnroll, f.ID); err != nil {
			s.enrollError(w, r, p, txn, err)
			return
		}
		extra.Set("sent", "1")
	}
	http.Redirect(w, r, s.mfaURL(p, txn.ar.ID, extra), http.StatusSeeOther)
}

func (s *Server) enrollError(w http.ResponseWriter, r *http.Request, p *tenantProvider, txn *loginTxn, err error) {
	if msg, ok := web.PublicText(err); ok {
		s.renderEnroll(w, r, p, txn, http.StatusBadRequest, msg, "")
		return
	}
	s.pages.Unavailable(w, r, "enroll", err)
}

// mfaEnrollVerify confirms the factor being enrolled with its first code.
func (s *Server) mfaEnrollVerify(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.formTxn(w, r, p, stepEnroll)
	if !ok {
		return
	}
	ctx := r.Context()
	f, err := s.store.FactorByID(ctx, p.tenant.ID, txn.u.ID, txn.st.FactorID)
	if err != nil || f.Verified || !txn.mp.Allows(f.Kind) {
		s.renderEnroll(w, r, p, txn, http.StatusBadRequest, "Choose a method to set up.", "")
		return
	}
	code := r.PostForm.Get("code")
	if len(code) > 64 {
		code = ""
	}
	if err := s.factors.ConfirmEnrollment(ctx, s.loginFactorGuard(p, txn), p.tenant, txn.u, f, code); err != nil {
		if s.factorRefused(w, r, p, txn, err) {
			return
		}
		s.factorFailed(r, p, txn, f.Kind, err)
		msg, ok := web.PublicText(err)
		if !ok {
			s.pages.Unavailable(w, r, "confirm enrollment", err)
			return
		}
		s.renderEnroll(w, r, p, txn, http.StatusUnauthorized, msg, "")
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
	if !errors.Is(err, store.ErrNotFound) {
		s.pages.Unavailable(w, r, "load backup codes", err)
		return
	}
	txn.st.Step, txn.st.Methods, txn.st.Ceremony = stepCodes, encodeMethods(methods, upstream), nil
	if err := s.store.AdvanceLoginState(ctx, txn.st, stepEnroll); err != nil {
		s.expiredLogin(w, r)
		return
	}
	codes, err := s.factors.NewBackupCodes(ctx, p.tenant, txn.u)
	if err != nil {
		s.pages.Unavailable(w, r, "backup codes", err)
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
	if r.PostForm.Get("remember") == "on" && txn.mp.RememberDays > 0 {
		keep = time.Duration(txn.mp.RememberDays) * 24 * time.Hour
	}
	s.finishSignIn(w, r, p, txn.ar, txn.u, methods, upstream, keep)
}

// mfaCodesFile downloads the backup codes shown in this sign-in.
func (s *Server) mfaCodesFile(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.loadTxn(w, r, p, r.URL.Query().Get("id"), stepCodes)
	if !ok {
		return
	}
	if !s.factors.ServeBackupCodes(w, r, p.tenant, txn.u) {
		s.renderCodes(w, r, p, txn, nil, http.StatusGone)
	}
}
