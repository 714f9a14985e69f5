package login

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
func (h *Handler) mfaEnroll(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	txn, ok := h.formTxn(w, r, t, stepEnroll)
	if !ok {
		return
	}
	ctx := r.Context()
	kind := r.PostForm.Get("kind")
	if kind == store.FactorWebAuthn || !txn.mp.Allows(kind) {
		h.renderEnroll(w, r, t, txn, http.StatusBadRequest, factors.ErrKindNotAllowed.Public(), "")
		return
	}
	f, err := h.Factors.StartEnrollment(ctx, t, txn.u, kind, r.PostForm.Get("phone"))
	if err != nil {
		h.enrollError(w, r, t, txn, err)
		return
	}
	txn.st.FactorID = f.ID
	if err := h.Store.AdvanceLoginState(ctx, txn.st, stepEnroll); err != nil {
		h.expiredLogin(w, r)
		return
	}
	extra := url.Values{}
	if kind == store.FactorSMS || kind == store.FactorEmail {
		if err := h.Factors.SendCode(ctx, t, txn.u, f, store.OTPPurposeEnroll, f.ID); err != nil {
			h.enrollError(w, r, t, txn, err)
			return
		}
		extra.Set("sent", "1")
	}
	http.Redirect(w, r, h.mfaURL(t, txn.ar.ID, extra), http.StatusSeeOther)
}

func (h *Handler) enrollError(w http.ResponseWriter, r *http.Request, t *store.Tenant, txn *loginTxn, err error) {
	if msg, ok := web.PublicText(err); ok {
		h.renderEnroll(w, r, t, txn, http.StatusBadRequest, msg, "")
		return
	}
	h.Pages.Unavailable(w, r, "enroll", err)
}

// mfaEnrollVerify confirms the factor being enrolled with its first code.
func (h *Handler) mfaEnrollVerify(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	txn, ok := h.formTxn(w, r, t, stepEnroll)
	if !ok {
		return
	}
	ctx := r.Context()
	f, err := h.Store.FactorByID(ctx, t.ID, txn.u.ID, txn.st.FactorID)
	if err != nil || f.Verified || !txn.mp.Allows(f.Kind) {
		h.renderEnroll(w, r, t, txn, http.StatusBadRequest, "Choose a method to set up.", "")
		return
	}
	code := r.PostForm.Get("code")
	if len(code) > 64 {
		code = ""
	}
	if err := h.Factors.ConfirmEnrollment(ctx, h.loginFactorGuard(t, txn), t, txn.u, f, code); err != nil {
		if h.factorRefused(w, r, t, txn, err) {
			return
		}
		h.factorFailed(r, t, txn, f.Kind, err)
		msg, ok := web.PublicText(err)
		if !ok {
			h.Pages.Unavailable(w, r, "confirm enrollment", err)
			return
		}
		h.renderEnroll(w, r, t, txn, http.StatusUnauthorized, msg, "")
		return
	}
	h.enrolledInLogin(w, r, t, txn, policy.Method(f.Kind))
}

// enrolledInLogin continues after a first factor was enrolled and used:
// backup codes once (if the user has none), then the session.
func (h *Handler) enrolledInLogin(w http.ResponseWriter, r *http.Request, t *store.Tenant, txn *loginTxn, m policy.Method) {
	ctx := r.Context()
	methods, upstream := decodeMethods(txn.st.Methods)
	methods = append(methods, m)
	_, err := h.Store.BackupCodeSet(ctx, t.ID, txn.u.ID)
	if err == nil { // codes exist (an admin reset keeps none): go on
		txn.st.Step, txn.st.Methods, txn.st.Ceremony = stepDone, encodeMethods(methods, upstream), nil
		if err := h.Store.AdvanceLoginState(ctx, txn.st, stepEnroll); err != nil {
			h.expiredLogin(w, r)
			return
		}
		h.finishSignIn(w, r, t, txn.ar, txn.u, methods, upstream, 0)
		return
	}
	if !errors.Is(err, store.ErrNotFound) {
		h.Pages.Unavailable(w, r, "load backup codes", err)
		return
	}
	txn.st.Step, txn.st.Methods, txn.st.Ceremony = stepCodes, encodeMethods(methods, upstream), nil
	if err := h.Store.AdvanceLoginState(ctx, txn.st, stepEnroll); err != nil {
		h.expiredLogin(w, r)
		return
	}
	codes, err := h.Factors.NewBackupCodes(ctx, t, txn.u)
	if err != nil {
		h.Pages.Unavailable(w, r, "backup codes", err)
		return
	}
	h.renderCodes(w, r, t, txn, codes, http.StatusOK)
}

// mfaCodesDone: the user saw the backup codes; the sign-in completes.
func (h *Handler) mfaCodesDone(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	txn, ok := h.formTxn(w, r, t, stepCodes)
	if !ok {
		return
	}
	ctx := r.Context()
	if r.PostForm.Get("saved") == "on" {
		if set, err := h.Store.BackupCodeSet(ctx, t.ID, txn.u.ID); err == nil {
			if err := h.Store.AcknowledgeBackupCodes(ctx, t.ID, txn.u.ID, set.ID, h.Clock()); err != nil {
				h.Log.Error("login: acknowledge backup codes", "tenant", t.Slug, "err", err)
			}
		}
	}
	methods, upstream := decodeMethods(txn.st.Methods)
	txn.st.Step = stepDone
	if err := h.Store.AdvanceLoginState(ctx, txn.st, stepCodes); err != nil {
		h.expiredLogin(w, r)
		return
	}
	var keep time.Duration
	if r.PostForm.Get("remember") == "on" && txn.mp.RememberDays > 0 {
		keep = time.Duration(txn.mp.RememberDays) * 24 * time.Hour
	}
	h.finishSignIn(w, r, t, txn.ar, txn.u, methods, upstream, keep)
}

// mfaCodesFile downloads the backup codes shown in this sign-in.
func (h *Handler) mfaCodesFile(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	txn, ok := h.loadTxn(w, r, t, r.URL.Query().Get("id"), stepCodes)
	if !ok {
		return
	}
	if !h.Factors.ServeBackupCodes(w, r, t, txn.u) {
		h.renderCodes(w, r, t, txn, nil, http.StatusGone)
	}
}
