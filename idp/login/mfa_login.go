package login

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The second-factor step of the login transaction:
//
//	finishPrimary -> secondFactorStep: required? (tenant mode, device,
//	    location, acr_values, trusted upstream MFA) -> no: finishSignIn
//	                                                -> yes: login state, 302
//	GET  /t/{tenant}/login/2fa?id=…        the current step's page
//	POST /t/{tenant}/login/2fa             a code (TOTP, SMS, email, backup)
//	POST /t/{tenant}/login/2fa/send        send an SMS/email code
//	POST /t/{tenant}/login/2fa/enroll…     enrollment of a first factor
//	POST /t/{tenant}/login/2fa/codes       backup codes saved -> finishSignIn
//
// The pending primary result lives only in the login state row, bound to
// the auth request: no session exists and the request is not completed until
// a handler moves the state to stepDone (one conditional UPDATE) after a
// factor passed. Every handler checks the stored step, so no URL skips one.

// Login steps (store.LoginState.Step).
const (
	stepChallenge = "challenge" // pass one of the user's factors
	stepEnroll    = "enroll"    // enroll a first factor (FactorID: the one in progress)
	stepCodes     = "codes"     // backup codes shown, waiting for "continue"
	stepPasskey   = "passkey"   // passwordless ceremony begun, user not known yet
	stepDone      = "done"      // passed: the session is being created
)

// acrDemandsMFA reports whether the request's acr_values ask for more than
// the sign-in earned so far (values we do not issue are ignored: acr_values
// is a wish list, and a value we cannot meet would lock the user out).
func acrDemandsMFA(values []string, have string) bool {
	for _, v := range values {
		if policy.ACRRank(v) >= policy.ACRRank(policy.ACRMFA) && !policy.SatisfiesACR(have, v) {
			return true
		}
	}
	return false
}

// secondFactorStep decides whether this sign-in needs a second factor. When
// it does, it stores the login state, sends the browser to /login/2fa and
// returns true. Federated sign-ins pass policy.MethodUpstreamMFA in methods
// when the connection trusts the upstream's MFA claim.
func (h *Handler) secondFactorStep(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest, u *store.User, methods []policy.Method, upstreamAMR []string) bool {
	ctx := r.Context()
	set := t.Settings
	mp := h.Factors.Policy(set)
	facts, err := h.riskFacts(r, t.ID, u.ID)
	if err != nil {
		h.Pages.Unavailable(w, r, "risk facts", err)
		return true
	}
	have := policy.ACR(policy.AMRFor(methods...))
	required, reason := policy.RequireSecondFactor(mp.Mode, policy.Signals{
		DeviceKnown: facts.deviceKnown, DeviceRemembered: facts.deviceRemembered, LocationKnown: facts.locationKnown,
		ACRRequested: acrDemandsMFA(ar.ACRValues, have), UpstreamMFA: slices.Contains(methods, policy.MethodUpstreamMFA),
	})
	if required && policy.ACRRank(have) >= policy.ACRRank(policy.ACRMFA) {
		required, reason = false, "primary_mfa" // a user-verified passkey is two factors already
	}
	if !required {
		if reason != policy.ReasonModeNever {
			h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFANotRequired, UserID: u.ID, ClientID: ar.ClientID,
				Detail: map[string]string{"reason": reason}})
		}
		return false
	}
	hold, err := h.Factors.Holdings(ctx, t.ID, u.ID, mp)
	if err != nil {
		h.Pages.Unavailable(w, r, "list factors", err)
		return true
	}
	var step string
	switch {
	case hold.CanVerify():
		step = stepChallenge
	case hold.MayEnrol():
		step = stepEnroll
	default: // factors held, none usable here: never enrolment (factors.Holdings)
		h.refuseUnusable(w, r, t, u, ar.ClientID, hold)
		return true
	}
	now := h.Clock()
	st := &store.LoginState{TenantID: t.ID, AuthRequestID: ar.ID, UserID: u.ID, Methods: encodeMethods(methods, upstreamAMR),
		Step: step, Reason: reason, CreatedAt: now, ExpiresAt: ar.ExpiresAt}
	if err := h.Store.PutLoginState(ctx, st); err != nil {
		h.Pages.Unavailable(w, r, "save login state", err)
		return true
	}
	h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFARequired, UserID: u.ID, ClientID: ar.ClientID,
		Detail: map[string]string{"reason": reason, "step": step}})
	http.Redirect(w, r, h.mfaURL(t, ar.ID, nil), http.StatusFound)
	return true
}

// upstreamPrefix marks upstream amr values (federation) kept in
// LoginState.Methods next to Gatehouse's own methods.
const upstreamPrefix = "upstream-amr:"

// encodeMethods stores the methods passed so far and the upstream amr.
func encodeMethods(ms []policy.Method, upstreamAMR []string) []string {
	out := make([]string, 0, len(ms)+len(upstreamAMR))
	for _, m := range ms {
		out = append(out, string(m))
	}
	for _, v := range upstreamAMR {
		out = append(out, upstreamPrefix+v)
	}
	return out
}

// decodeMethods is the inverse of encodeMethods.
func decodeMethods(ss []string) (ms []policy.Method, upstreamAMR []string) {
	for _, v := range ss {
		if a, ok := strings.CutPrefix(v, upstreamPrefix); ok {
			upstreamAMR = append(upstreamAMR, a)
		} else {
			ms = append(ms, policy.Method(v))
		}
	}
	return ms, upstreamAMR
}

func (h *Handler) mfaURL(t *store.Tenant, arID string, extra url.Values) string {
	q := url.Values{"id": {arID}}
	for k, v := range extra {
		q[k] = v
	}
	return h.tenantURL(t.Slug) + "/login/2fa?" + q.Encode()
}

// finishSignIn creates the session, records the device and location, and
// completes the request. remember > 0 skips the second factor on this
// browser for that long.
func (h *Handler) finishSignIn(w http.ResponseWriter, r *http.Request, t *store.Tenant, ar *store.AuthRequest, u *store.User, methods []policy.Method, upstreamAMR []string, remember time.Duration) {
	ctx := r.Context()
	amr := policy.AMRFor(methods...)
	acr := policy.ACR(amr)
	amr = upstream.WithAMR(amr, upstreamAMR)
	sess, err := h.Sessions.Start(w, r, t, u.ID, amr, acr)
	if err != nil {
		h.Pages.Unavailable(w, r, "start session", err)
		return
	}
	h.noteNewDeviceLocation(r, t, u) // device_centre.go: new browser or place is emailed
	if err := h.recordDevice(w, r, t.ID, u.ID, remember); err != nil {
		// The sign-in stands; the next one may ask for a second factor again.
		h.Log.Error("login: record device", "tenant", t.Slug, "user_id", u.ID, "err", err)
	} else if remember > 0 {
		h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFADeviceRemembered, UserID: u.ID, SessionID: sess.ID,
			Detail: map[string]string{"days": strconv.Itoa(int(remember / (24 * time.Hour)))}})
	}
	if err := h.Store.DeleteLoginState(ctx, t.ID, ar.ID); err != nil {
		h.Log.Warn("login: delete login state", "tenant", t.Slug, "err", err)
	}
	h.completeLogin(w, r, t, ar, sess)
}

// loginTxn is a pending login transaction as the /login/2fa handlers see it.
type loginTxn struct {
	ar  *store.AuthRequest
	st  *store.LoginState
	u   *store.User
	set store.TenantSettings
	mp  factors.Policy
}

// loadTxn loads the transaction of auth request id, which must be pending,
// have a login state in one of steps, and a user who may still sign in.
// Anything else is the "sign-in expired" page: no step can be reached
// without the ones before it.
func (h *Handler) loadTxn(w http.ResponseWriter, r *http.Request, t *store.Tenant, id string, steps ...string) (*loginTxn, bool) {
	ctx := r.Context()
	ar, ok := h.loadPendingRequest(r, t, id)
	if !ok {
		h.expiredLogin(w, r)
		return nil, false
	}
	st, err := h.Store.LoginState(ctx, t.ID, ar.ID, h.Clock())
	if err != nil || !slices.Contains(steps, st.Step) {
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrExpired) {
			h.Log.Error("login: load login state", "tenant", t.Slug, "err", err)
		}
		h.expiredLogin(w, r)
		return nil, false
	}
	txn := &loginTxn{ar: ar, st: st, set: t.Settings}
	txn.mp = h.Factors.Policy(txn.set)
	if st.UserID != "" {
		u, err := h.Store.UserByID(ctx, t.ID, st.UserID)
		if err != nil || u.Disabled {
			h.expiredLogin(w, r)
			return nil, false
		}
		txn.u = u
		if st.Step == stepEnroll && !h.mayEnrolAtSignIn(w, r, t, u, ar.ClientID, false) {
			return nil, false
		}
	}
	return txn, true
}

// formTxn parses a POSTed form and loads its transaction.
func (h *Handler) formTxn(w http.ResponseWriter, r *http.Request, t *store.Tenant, steps ...string) (*loginTxn, bool) {
	if err := r.ParseForm(); err != nil {
		h.Pages.Error(w, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return nil, false
	}
	return h.loadTxn(w, r, t, r.PostForm.Get("id"), steps...)
}

// mfaPage renders whatever the transaction's current step needs.
func (h *Handler) mfaPage(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	txn, ok := h.loadTxn(w, r, t, r.URL.Query().Get("id"), stepChallenge, stepEnroll, stepCodes)
	if !ok {
		return
	}
	q := r.URL.Query()
	switch txn.st.Step {
	case stepChallenge:
		h.renderChallenge(w, r, t, txn, q.Get("factor"), http.StatusOK, "", noticeFor(q.Get("sent")))
	case stepEnroll:
		h.renderEnroll(w, r, t, txn, http.StatusOK, "", noticeFor(q.Get("sent")))
	case stepCodes:
		// The codes were shown once, on the response that generated them.
		h.renderCodes(w, r, t, txn, nil, http.StatusOK)
	}
}

func noticeFor(sent string) string {
	if sent == "1" {
		return "We sent you a code. It may take a minute to arrive."
	}
	return ""
}

// mfaSubmit checks a code typed on the challenge page.
func (h *Handler) mfaSubmit(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	txn, ok := h.formTxn(w, r, t, stepChallenge)
	if !ok {
		return
	}
	ctx := r.Context()
	fid, code := r.PostForm.Get("factor"), r.PostForm.Get("code")
	if len(code) > 64 {
		code = ""
	}
	kind := string(policy.MethodBackupCode)
	var f *store.Factor
	if fid != "backup" {
		var err error
		if f, err = h.usableFactor(r, t, txn, fid); err != nil {
			h.renderChallenge(w, r, t, txn, "", http.StatusBadRequest, "Choose a sign-in method.", "")
			return
		}
		kind = f.Kind
		if kind == store.FactorWebAuthn {
			h.renderChallenge(w, r, t, txn, fid, http.StatusBadRequest, "Use the passkey button.", "")
			return
		}
	}
	c := &factors.CodeCredential{Tenant: t, User: txn.u, Backup: f == nil, Purpose: store.OTPPurposeLogin, Binding: txn.ar.ID, Code: code}
	if f != nil {
		c.Factors = []*store.Factor{f}
	}
	if err := h.Factors.VerifyThrottled(ctx, h.loginFactorGuard(t, txn), c); err != nil {
		if h.factorRefused(w, r, t, txn, err) {
			return
		}
		h.factorFailed(r, t, txn, kind, err)
		msg, ok := web.PublicText(err)
		if !ok {
			msg = "That code could not be checked. Try again."
			h.Log.Error("login: check factor", "tenant", t.Slug, "kind", kind, "err", err)
		}
		h.renderChallenge(w, r, t, txn, fid, http.StatusUnauthorized, msg, "")
		return
	}
	h.factorPassed(w, r, t, txn, policy.Method(kind), r.PostForm.Get("remember") == "on")
}

// usableFactor returns the user's verified factor id, if this server can
// verify its kind (the tenant's enrolment settings do not matter).
func (h *Handler) usableFactor(r *http.Request, t *store.Tenant, txn *loginTxn, id string) (*store.Factor, error) {
	if id == "" || len(id) > 64 {
		return nil, store.ErrNotFound
	}
	f, err := h.Store.FactorByID(r.Context(), t.ID, txn.u.ID, id)
	if err != nil {
		return nil, err
	}
	if !f.Verified || !txn.mp.CanVerify(f.Kind) {
		return nil, store.ErrNotFound
	}
	return f, nil
}

// factorPassed ends the challenge step: exactly one request moves the state
// to done, and only that one creates the session.
func (h *Handler) factorPassed(w http.ResponseWriter, r *http.Request, t *store.Tenant, txn *loginTxn, m policy.Method, remember bool) {
	ctx := r.Context()
	methods, upstream := decodeMethods(txn.st.Methods)
	methods = append(methods, m)
	from := txn.st.Step
	txn.st.Step, txn.st.Methods, txn.st.Ceremony = stepDone, encodeMethods(methods, upstream), nil
	if err := h.Store.AdvanceLoginState(ctx, txn.st, from); err != nil {
		h.expiredLogin(w, r)
		return
	}
	h.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAChallengeSucceeded, UserID: txn.u.ID, ClientID: txn.ar.ClientID,
		Detail: map[string]string{"kind": string(m)}})
	var keep time.Duration
	if remember && txn.mp.RememberDays > 0 {
		keep = time.Duration(txn.mp.RememberDays) * 24 * time.Hour
	}
	h.finishSignIn(w, r, t, txn.ar, txn.u, methods, upstream, keep)
}

// mfaSend sends (or re-sends) an SMS or email code for the challenge or
// for the factor being enrolled.
func (h *Handler) mfaSend(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	txn, ok := h.formTxn(w, r, t, stepChallenge, stepEnroll)
	if !ok {
		return
	}
	ctx := r.Context()
	var (
		f       *store.Factor
		err     error
		purpose = store.OTPPurposeLogin
		binding = txn.ar.ID
	)
	if txn.st.Step == stepEnroll {
		f, err = h.Store.FactorByID(ctx, t.ID, txn.u.ID, txn.st.FactorID)
		if err != nil || f.Verified {
			h.renderEnroll(w, r, t, txn, http.StatusBadRequest, "Choose a method to set up.", "")
			return
		}
		purpose, binding = store.OTPPurposeEnroll, f.ID
	} else if f, err = h.usableFactor(r, t, txn, r.PostForm.Get("factor")); err != nil {
		h.renderChallenge(w, r, t, txn, "", http.StatusBadRequest, "Choose a sign-in method.", "")
		return
	}
	if f.Kind != store.FactorSMS && f.Kind != store.FactorEmail {
		h.Pages.Error(w, http.StatusBadRequest, "Invalid request", "This method does not use sent codes.")
		return
	}
	if err := h.Factors.SendCode(ctx, t, txn.u, f, purpose, binding); err != nil {
		msg, ok := web.PublicText(err)
		if !ok {
			msg = factors.ErrSendFailed.Public()
			h.Log.Error("login: send code", "tenant", t.Slug, "err", err)
		}
		if txn.st.Step == stepEnroll {
			h.renderEnroll(w, r, t, txn, http.StatusTooManyRequests, msg, "")
		} else {
			h.renderChallenge(w, r, t, txn, f.ID, http.StatusTooManyRequests, msg, "")
		}
		return
	}
	extra := url.Values{"sent": {"1"}}
	if txn.st.Step == stepChallenge {
		extra.Set("factor", f.ID)
	}
	http.Redirect(w, r, h.mfaURL(t, txn.ar.ID, extra), http.StatusSeeOther)
}
