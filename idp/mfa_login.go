package idp

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
func (s *Server) secondFactorStep(w http.ResponseWriter, r *http.Request, p *tenantProvider, ar *store.AuthRequest, u *store.User, methods []policy.Method, upstreamAMR []string) bool {
	ctx := r.Context()
	set := s.tenantSettings(ctx, p)
	mp := s.factors.Policy(set)
	facts, err := s.riskFacts(r, p.tenant.ID, u.ID)
	if err != nil {
		s.pages.Unavailable(w, r, "risk facts", err)
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
			s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFANotRequired, UserID: u.ID, ClientID: ar.ClientID,
				Detail: map[string]string{"reason": reason}})
		}
		return false
	}
	h, err := s.factors.Holdings(ctx, p.tenant.ID, u.ID, mp)
	if err != nil {
		s.pages.Unavailable(w, r, "list factors", err)
		return true
	}
	var step string
	switch {
	case h.CanVerify():
		step = stepChallenge
	case h.MayEnrol():
		step = stepEnroll
	default: // factors held, none usable here: never enrolment (factors.Holdings)
		s.refuseUnusable(w, r, p, u, ar.ClientID, h)
		return true
	}
	now := s.clock()
	st := &store.LoginState{TenantID: p.tenant.ID, AuthRequestID: ar.ID, UserID: u.ID, Methods: encodeMethods(methods, upstreamAMR),
		Step: step, Reason: reason, CreatedAt: now, ExpiresAt: ar.ExpiresAt}
	if err := s.store.PutLoginState(ctx, st); err != nil {
		s.pages.Unavailable(w, r, "save login state", err)
		return true
	}
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFARequired, UserID: u.ID, ClientID: ar.ClientID,
		Detail: map[string]string{"reason": reason, "step": step}})
	http.Redirect(w, r, s.mfaURL(p, ar.ID, nil), http.StatusFound)
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

func (s *Server) mfaURL(p *tenantProvider, arID string, extra url.Values) string {
	q := url.Values{"id": {arID}}
	for k, v := range extra {
		q[k] = v
	}
	return s.tenantURL(p.tenant.Slug) + "/login/2fa?" + q.Encode()
}

// finishSignIn creates the session, records the device and location, and
// completes the request. remember > 0 skips the second factor on this
// browser for that long.
func (s *Server) finishSignIn(w http.ResponseWriter, r *http.Request, p *tenantProvider, ar *store.AuthRequest, u *store.User, methods []policy.Method, upstreamAMR []string, remember time.Duration) {
	ctx := r.Context()
	amr := policy.AMRFor(methods...)
	acr := policy.ACR(amr)
	amr = upstream.WithAMR(amr, upstreamAMR)
	sess, err := s.sessions.Start(w, r, p.tenant, u.ID, amr, acr)
	if err != nil {
		s.pages.Unavailable(w, r, "start session", err)
		return
	}
	s.noteNewDeviceLocation(r, p, u) // device_centre.go: new browser or place is emailed
	if err := s.recordDevice(w, r, p.tenant.ID, u.ID, remember); err != nil {
		// The sign-in stands; the next one may ask for a second factor again.
		s.log.Error("login: record device", "tenant", p.tenant.Slug, "user_id", u.ID, "err", err)
	} else if remember > 0 {
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFADeviceRemembered, UserID: u.ID, SessionID: sess.ID,
			Detail: map[string]string{"days": strconv.Itoa(int(remember / (24 * time.Hour)))}})
	}
	if err := s.store.DeleteLoginState(ctx, p.tenant.ID, ar.ID); err != nil {
		s.log.Warn("login: delete login state", "tenant", p.tenant.Slug, "err", err)
	}
	s.completeLogin(w, r, p, ar, sess)
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
func (s *Server) loadTxn(w http.ResponseWriter, r *http.Request, p *tenantProvider, id string, steps ...string) (*loginTxn, bool) {
	ctx := r.Context()
	ar, ok := s.loadPendingRequest(r, p, id)
	if !ok {
		s.expiredLogin(w, r)
		return nil, false
	}
	st, err := s.store.LoginState(ctx, p.tenant.ID, ar.ID, s.clock())
	if err != nil || !slices.Contains(steps, st.Step) {
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrExpired) {
			s.log.Error("login: load login state", "tenant", p.tenant.Slug, "err", err)
		}
		s.expiredLogin(w, r)
		return nil, false
	}
	t := &loginTxn{ar: ar, st: st, set: s.tenantSettings(ctx, p)}
	t.mp = s.factors.Policy(t.set)
	if st.UserID != "" {
		u, err := s.store.UserByID(ctx, p.tenant.ID, st.UserID)
		if err != nil || u.Disabled {
			s.expiredLogin(w, r)
			return nil, false
		}
		t.u = u
		if st.Step == stepEnroll && !s.mayEnrolAtSignIn(w, r, p, u, ar.ClientID, false) {
			return nil, false
		}
	}
	return t, true
}

// formTxn parses a POSTed form and loads its transaction.
func (s *Server) formTxn(w http.ResponseWriter, r *http.Request, p *tenantProvider, steps ...string) (*loginTxn, bool) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return nil, false
	}
	return s.loadTxn(w, r, p, r.PostForm.Get("id"), steps...)
}

// mfaPage renders whatever the transaction's current step needs.
func (s *Server) mfaPage(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.loadTxn(w, r, p, r.URL.Query().Get("id"), stepChallenge, stepEnroll, stepCodes)
	if !ok {
		return
	}
	q := r.URL.Query()
	switch txn.st.Step {
	case stepChallenge:
		s.renderChallenge(w, r, p, txn, q.Get("factor"), http.StatusOK, "", noticeFor(q.Get("sent")))
	case stepEnroll:
		s.renderEnroll(w, r, p, txn, http.StatusOK, "", noticeFor(q.Get("sent")))
	case stepCodes:
		// The codes were shown once, on the response that generated them.
		s.renderCodes(w, r, p, txn, nil, http.StatusOK)
	}
}

func noticeFor(sent string) string {
	if sent == "1" {
		return "We sent you a code. It may take a minute to arrive."
	}
	return ""
}

// mfaSubmit checks a code typed on the challenge page.
func (s *Server) mfaSubmit(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.formTxn(w, r, p, stepChallenge)
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
		if f, err = s.usableFactor(r, p, txn, fid); err != nil {
			s.renderChallenge(w, r, p, txn, "", http.StatusBadRequest, "Choose a sign-in method.", "")
			return
		}
		kind = f.Kind
		if kind == store.FactorWebAuthn {
			s.renderChallenge(w, r, p, txn, fid, http.StatusBadRequest, "Use the passkey button.", "")
			return
		}
	}
	c := &factors.CodeCredential{Tenant: p.tenant, User: txn.u, Backup: f == nil, Purpose: store.OTPPurposeLogin, Binding: txn.ar.ID, Code: code}
	if f != nil {
		c.Factors = []*store.Factor{f}
	}
	if err := s.factors.VerifyThrottled(ctx, s.loginFactorGuard(p, txn), c); err != nil {
		if s.factorRefused(w, r, p, txn, err) {
			return
		}
		s.factorFailed(r, p, txn, kind, err)
		msg, ok := web.PublicText(err)
		if !ok {
			msg = "That code could not be checked. Try again."
			s.log.Error("login: check factor", "tenant", p.tenant.Slug, "kind", kind, "err", err)
		}
		s.renderChallenge(w, r, p, txn, fid, http.StatusUnauthorized, msg, "")
		return
	}
	s.factorPassed(w, r, p, txn, policy.Method(kind), r.PostForm.Get("remember") == "on")
}

// usableFactor returns the user's verified factor id, if this server can
// verify its kind (the tenant's enrolment settings do not matter).
func (s *Server) usableFactor(r *http.Request, p *tenantProvider, txn *loginTxn, id string) (*store.Factor, error) {
	if id == "" || len(id) > 64 {
		return nil, store.ErrNotFound
	}
	f, err := s.store.FactorByID(r.Context(), p.tenant.ID, txn.u.ID, id)
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
func (s *Server) factorPassed(w http.ResponseWriter, r *http.Request, p *tenantProvider, txn *loginTxn, m policy.Method, remember bool) {
	ctx := r.Context()
	methods, upstream := decodeMethods(txn.st.Methods)
	methods = append(methods, m)
	from := txn.st.Step
	txn.st.Step, txn.st.Methods, txn.st.Ceremony = stepDone, encodeMethods(methods, upstream), nil
	if err := s.store.AdvanceLoginState(ctx, txn.st, from); err != nil {
		s.expiredLogin(w, r)
		return
	}
	s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFAChallengeSucceeded, UserID: txn.u.ID, ClientID: txn.ar.ClientID,
		Detail: map[string]string{"kind": string(m)}})
	var keep time.Duration
	if remember && txn.mp.RememberDays > 0 {
		keep = time.Duration(txn.mp.RememberDays) * 24 * time.Hour
	}
	s.finishSignIn(w, r, p, txn.ar, txn.u, methods, upstream, keep)
}

// mfaSend sends (or re-sends) an SMS or email code for the challenge or
// for the factor being enrolled.
func (s *Server) mfaSend(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	txn, ok := s.formTxn(w, r, p, stepChallenge, stepEnroll)
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
		f, err = s.store.FactorByID(ctx, p.tenant.ID, txn.u.ID, txn.st.FactorID)
		if err != nil || f.Verified {
			s.renderEnroll(w, r, p, txn, http.StatusBadRequest, "Choose a method to set up.", "")
			return
		}
		purpose, binding = store.OTPPurposeEnroll, f.ID
	} else if f, err = s.usableFactor(r, p, txn, r.PostForm.Get("factor")); err != nil {
		s.renderChallenge(w, r, p, txn, "", http.StatusBadRequest, "Choose a sign-in method.", "")
		return
	}
	if f.Kind != store.FactorSMS && f.Kind != store.FactorEmail {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "This method does not use sent codes.")
		return
	}
	if err := s.factors.SendCode(ctx, p.tenant, txn.u, f, purpose, binding); err != nil {
		msg, ok := web.PublicText(err)
		if !ok {
			msg = factors.ErrSendFailed.Public()
			s.log.Error("login: send code", "tenant", p.tenant.Slug, "err", err)
		}
		if txn.st.Step == stepEnroll {
			s.renderEnroll(w, r, p, txn, http.StatusTooManyRequests, msg, "")
		} else {
			s.renderChallenge(w, r, p, txn, f.ID, http.StatusTooManyRequests, msg, "")
		}
		return
	}
	extra := url.Values{"sent": {"1"}}
	if txn.st.Step == stepChallenge {
		extra.Set("factor", f.ID)
	}
	http.Redirect(w, r, s.mfaURL(p, txn.ar.ID, extra), http.StatusSeeOther)
}
