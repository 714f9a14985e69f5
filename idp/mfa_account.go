package idp

import (
	"errors"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/session"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/tenant"
	"github.com/gatehouse-idp/gatehouse/idp/web"
	"github.com/gatehouse-idp/gatehouse/mfa/backupcodes"
)

// The account security page, /t/{tenant}/account/security: the user's
// second factors (enroll, rename, default, remove, change a phone number)
// and backup codes (status, download, regenerate). Changes need a recent
// sign-in (recentAuth) that included a second factor when the user has
// one; regenerating backup codes always needs a fresh second factor. The
// "confirm it's you" button runs a new sign-in with prompt=login and, for a
// user with factors, acr_values demanding one, through the same login
// transaction as every relying party.

type usedCode struct {
	Number int
	UsedAt time.Time
}

type securityData struct {
	accountData
	Base       string
	AccountURL string
	Recent     bool // changes allowed now (the sensitive guard would pass)
	Factors    []securityFactor
	Kinds      []factors.KindView
	Enrolling  *factors.View
	Replaces   string
	QR         template.URL
	Secret     string
	HasCodes   bool
	CodesLeft  int
	CodesTotal int
	Used       []usedCode
	CodesMade  time.Time
	Remembered int  // browsers that skip the second factor now
	Unsaved    bool // the set was not downloaded or confirmed yet
	Download   bool // the .txt can still be downloaded
	NewCodes   []string
	Script     bool
}

type securityFactor struct {
	factors.View
	Name     string
	Created  time.Time
	LastUsed *time.Time
}

func (s *Server) securityURL(p *tenantProvider) string {
	return s.tenantURL(p.tenant.Slug) + "/account/security"
}

// securityCtx is what every security handler loads.
type securityCtx struct {
	u       *store.User
	sess    *store.Session
	mp      factors.Policy
	factors []*store.Factor // verified
	// recent: the sensitive guard would let this session change factors
	// now (sensitive.go); the page offers the changes only then.
	recent bool
}

// loadSecurity loads the page's facts; inside the sensitive guard it uses
// the user and session the guard checked.
func (s *Server) loadSecurity(w http.ResponseWriter, r *http.Request, p *tenantProvider) (*securityCtx, bool) {
	ctx := r.Context()
	var (
		u    *store.User
		sess *store.Session
	)
	if op := guardedOp(ctx); op != nil {
		u, sess = op.u, op.sess
	} else if u, sess, _ = s.accountUser(w, r, p); u == nil {
		return nil, false
	}
	sc := &securityCtx{u: u, sess: sess, mp: s.factors.TenantPolicy(ctx, p.tenant)}
	h, err := s.factors.Holdings(ctx, p.tenant.ID, u.ID, sc.mp)
	if err != nil {
		s.pages.Unavailable(w, r, "account: list factors", err)
		return nil, false
	}
	sc.factors = h.Verified
	sc.recent = sensitiveFreshness(s.clock(), sess, h).OK
	return sc, true
}

// parsePost parses a security form.
func (s *Server) parsePost(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return false
	}
	return true
}

func (s *Server) securityPage(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	sc, ok := s.loadSecurity(w, r, p)
	if !ok {
		return
	}
	s.renderSecurity(w, r, p, sc, http.StatusOK, "", r.URL.Query().Get("done"), nil)
}

var securityNotices = map[string]string{
	"enrolled": "Your new sign-in method is ready.", "removed": "The sign-in method was removed.",
	"renamed": "Saved.", "default": "Your default sign-in method was changed.", "saved": "Thanks — your backup codes are marked as saved.",
	"forgotten": "Every browser will ask for your second factor again.",
}

func (s *Server) renderSecurity(w http.ResponseWriter, r *http.Request, p *tenantProvider, sc *securityCtx, status int, errMsg, notice string, mut func(*securityData)) {
	ctx := r.Context()
	d := &securityData{accountData: accountData{pageData: pageData{Title: "Sign-in security", TenantName: p.tenant.Name, Error: errMsg,
		Message: securityNotices[notice], Action: s.securityURL(p)}, User: sc.u, Session: sc.sess, SignedIn: sc.sess.AuthTime},
		Base: s.securityURL(p), AccountURL: s.tenantURL(p.tenant.Slug) + "/account", Recent: sc.recent}
	for _, f := range sc.factors {
		d.Factors = append(d.Factors, securityFactor{View: factors.ViewOf(f), Name: f.Name, Created: f.CreatedAt, LastUsed: f.LastUsedAt})
	}
	for _, m := range sc.mp.Methods {
		if k, ok := factors.KindViews[m]; ok {
			d.Kinds = append(d.Kinds, k)
			d.Script = d.Script || m == policy.MethodWebAuthn
		}
	}
	if set, err := s.store.BackupCodeSet(ctx, p.tenant.ID, sc.u.ID); err == nil {
		d.HasCodes, d.CodesLeft, d.CodesTotal, d.CodesMade = true, set.Remaining(), len(set.Codes), set.CreatedAt
		d.Unsaved, d.Download = set.AcknowledgedAt == nil, len(set.SealedCodes) > 0
		for _, c := range set.Codes {
			if c.UsedAt != nil {
				d.Used = append(d.Used, usedCode{Number: c.Index + 1, UsedAt: *c.UsedAt})
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		s.pages.Unavailable(w, r, "account: backup codes", err)
		return
	}
	if devs, err := s.store.ListDevices(ctx, p.tenant.ID, sc.u.ID); err == nil {
		now := s.clock()
		for _, dv := range devs {
			if dv.RememberUntil != nil && now.Before(*dv.RememberUntil) {
				d.Remembered++
			}
		}
	}
	if mut != nil {
		mut(d)
	}
	s.renderPage(w, status, "security", d)
}

// securityReauth starts a fresh sign-in that returns to the security page
// (or to the account page named by "return", from the guard's page).
func (s *Server) securityReauth(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	sc, ok := s.loadSecurity(w, r, p)
	if !ok {
		return
	}
	now := s.clock()
	back := s.securityURL(p)
	if ret := r.PostFormValue("return"); slices.Contains(reauthReturns, ret) {
		back = s.tenantURL(p.tenant.Slug) + "/account/" + ret
	}
	ar := &store.AuthRequest{
		ID: store.NewID(), TenantID: p.tenant.ID, ClientID: tenant.AccountClientID, RedirectURI: back,
		Scopes: []string{oidc.ScopeOpenID}, ResponseType: string(oidc.ResponseTypeCode), Prompt: []string{oidc.PromptLogin},
		HintUserID: sc.u.ID, LoginHint: sc.u.Email, CreatedAt: now, ExpiresAt: now.Add(session.AuthRequestTTL),
	}
	if len(sc.factors) > 0 {
		ar.ACRValues = []string{policy.ACRMFA} // a second factor, whatever the tenant's mode
	}
	if err := s.createBoundAuthRequest(w, r, p.tenant, ar); err != nil {
		s.pages.Unavailable(w, r, "account: reauth request", err)
		return
	}
	http.Redirect(w, r, s.tenantURL(p.tenant.Slug)+"/login?id="+ar.ID, http.StatusSeeOther)
}

// securityEnroll starts enrolling a TOTP, SMS or email factor; a phone
// number change passes `replaces`, the SMS factor it re-binds.
func (s *Server) securityEnroll(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	sc, ok := s.loadSecurity(w, r, p)
	if !ok || !s.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	kind, replaces := r.PostForm.Get("kind"), r.PostForm.Get("replaces")
	if kind == store.FactorWebAuthn || !sc.mp.Allows(kind) || (replaces != "" && !slices.ContainsFunc(sc.factors,
		func(f *store.Factor) bool { return f.ID == replaces && f.Kind == kind })) {
		s.renderSecurity(w, r, p, sc, http.StatusBadRequest, factors.ErrKindNotAllowed.Public(), "", nil)
		return
	}
	f, err := s.factors.StartEnrollment(ctx, p.tenant, sc.u, kind, r.PostForm.Get("phone"))
	if err == nil && (kind == store.FactorSMS || kind == store.FactorEmail) {
		err = s.factors.SendCode(ctx, p.tenant, sc.u, f, store.OTPPurposeEnroll, f.ID)
	}
	if err != nil {
		msg, ok := web.PublicText(err)
		if !ok {
			s.pages.Unavailable(w, r, "account: enroll", err)
			return
		}
		s.renderSecurity(w, r, p, sc, http.StatusBadRequest, msg, "", nil)
		return
	}
	s.renderEnrolling(w, r, p, sc, f, replaces, http.StatusOK, "")
}

func (s *Server) renderEnrolling(w http.ResponseWriter, r *http.Request, p *tenantProvider, sc *securityCtx, f *store.Factor, replaces string, status int, errMsg string) {
	var qr template.URL
	var secret string
	if f.Kind == store.FactorTOTP {
		if err := s.factors.TOTPView(p.tenant, sc.u, f, &qr, &secret); err != nil {
			s.pages.Unavailable(w, r, "account: totp view", err)
			return
		}
	}
	s.renderSecurity(w, r, p, sc, status, errMsg, "", func(d *securityData) {
		v := factors.ViewOf(f)
		d.Enrolling, d.Replaces, d.QR, d.Secret = &v, replaces, qr, secret
	})
}

// pendingFactor is the user's unverified factor named in the form.
func (s *Server) pendingFactor(r *http.Request, p *tenantProvider, sc *securityCtx) (*store.Factor, bool) {
	id := r.PostForm.Get("factor")
	if id == "" || len(id) > 64 {
		return nil, false
	}
	f, err := s.store.FactorByID(r.Context(), p.tenant.ID, sc.u.ID, id)
	if err != nil || f.Verified || !sc.mp.Allows(f.Kind) {
		return nil, false
	}
	return f, true
}

func (s *Server) securityVerify(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	sc, ok := s.loadSecurity(w, r, p)
	if !ok || !s.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	f, ok := s.pendingFactor(r, p, sc)
	if !ok {
		s.renderSecurity(w, r, p, sc, http.StatusBadRequest, "That setup expired. Start again.", "", nil)
		return
	}
	replaces := r.PostForm.Get("replaces")
	guard := s.factors.FactorGuard(p.tenant, sc.u.ID, "")
	if err := s.factors.ConfirmEnrollment(ctx, guard, p.tenant, sc.u, f, r.PostForm.Get("code")); err != nil {
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFAEnrollFailed, UserID: sc.u.ID,
			Detail: map[string]string{"kind": f.Kind}})
		msg, ok := web.PublicText(err)
		if !ok {
			s.pages.Unavailable(w, r, "account: confirm enrollment", err)
			return
		}
		s.renderEnrolling(w, r, p, sc, f, replaces, http.StatusUnauthorized, msg)
		return
	}
	s.sensitiveDone(r, actFactorAdded, factors.Label(f))
	if replaces != "" {
		if old, err := s.store.FactorByID(ctx, p.tenant.ID, sc.u.ID, replaces); err == nil && old.Kind == f.Kind && old.ID != f.ID {
			if old.IsDefault {
				_ = s.store.SetDefaultFactor(ctx, p.tenant.ID, sc.u.ID, f.ID)
			}
			s.factors.RemoveFactor(ctx, p.tenant, sc.u, old, "rebound")
			s.sensitiveDone(r, actPhoneChanged, factors.Label(old)+" → "+factors.Label(f))
		}
	}
	s.afterEnroll(w, r, p, sc)
}

// afterEnroll shows backup codes once when the user has none yet.
func (s *Server) afterEnroll(w http.ResponseWriter, r *http.Request, p *tenantProvider, sc *securityCtx) {
	ctx := r.Context()
	if _, err := s.store.BackupCodeSet(ctx, p.tenant.ID, sc.u.ID); errors.Is(err, store.ErrNotFound) {
		codes, err := s.factors.NewBackupCodes(ctx, p.tenant, sc.u)
		if err != nil {
			s.pages.Unavailable(w, r, "account: backup codes", err)
			return
		}
		sc2, ok := s.loadSecurity(w, r, p)
		if !ok {
			return
		}
		s.renderSecurity(w, r, p, sc2, http.StatusOK, "", "enrolled", func(d *securityData) { d.NewCodes = formatCodes(codes) })
		return
	}
	http.Redirect(w, r, s.securityURL(p)+"?done=enrolled", http.StatusSeeOther)
}

func formatCodes(codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = backupcodes.Format(c)
	}
	return out
}

func (s *Server) securitySend(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	sc, ok := s.loadSecurity(w, r, p)
	if !ok || !s.parsePost(w, r) {
		return
	}
	f, ok := s.pendingFactor(r, p, sc)
	if !ok || (f.Kind != store.FactorSMS && f.Kind != store.FactorEmail) {
		s.renderSecurity(w, r, p, sc, http.StatusBadRequest, "That setup expired. Start again.", "", nil)
		return
	}
	msg, status := "", http.StatusOK
	if err := s.factors.SendCode(r.Context(), p.tenant, sc.u, f, store.OTPPurposeEnroll, f.ID); err != nil {
		public, ok := web.PublicText(err)
		if !ok {
			s.pages.Unavailable(w, r, "account: send code", err)
			return
		}
		msg, status = public, http.StatusTooManyRequests
	}
	s.renderEnrolling(w, r, p, sc, f, r.PostForm.Get("replaces"), status, msg)
}

// ownFactor is the user's verified factor {id} from the path.
func (s *Server) ownFactor(r *http.Request, sc *securityCtx) (*store.Factor, bool) {
	id := r.PathValue("id")
	i := slices.IndexFunc(sc.factors, func(f *store.Factor) bool { return f.ID == id })
	if i < 0 {
		return nil, false
	}
	return sc.factors[i], true
}

func (s *Server) securityFactorAction(w http.ResponseWriter, r *http.Request, p *tenantProvider) {
	sc, ok := s.loadSecurity(w, r, p)
	if !ok || !s.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	f, ok := s.ownFactor(r, sc)
	if !ok {
		s.renderSecurity(w, r, p, sc, http.StatusNotFound, "That sign-in method does not exist.", "", nil)
		return
	}
	done := ""
	switch r.PathValue("action") {
	case "rename":
		f.Name = factors.CleanName(r.PostForm.Get("name"), f.Kind)
		if err := s.store.UpdateFactor(ctx, f); err != nil {
			s.pages.Unavailable(w, r, "account: rename", err)
			return
		}
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFAFactorRenamed, UserID: sc.u.ID, Detail: map[string]string{"factor_id": f.ID}})
		s.sensitiveDone(r, actFactorRenamed, factors.Label(f))
		done = "renamed"
	case "default":
		if err := s.store.SetDefaultFactor(ctx, p.tenant.ID, sc.u.ID, f.ID); err != nil {
			s.pages.Unavailable(w, r, "account: default", err)
			return
		}
		s.audit(ctx, &store.AuditEvent{TenantID: p.tenant.ID, Type: audit.MFAFactorDefault, UserID: sc.u.ID, Detail: map[string]string{"factor_id": f.ID}})
		s.sensitiveDone(r, actFactorDefault, factors.Label(f))
		done = "default"
	case "remove":
		if len(sc.factors) == 1 && sc.mp.Mode != policy.MFANever {
			s.renderSecurity(w, r, p, sc, http.StatusConflict,
				"Your organisation requires a second sign-in method. Add another one before removing your last.", "", nil)
			return
		}
		s.factors.RemoveFactor(ctx, p.tenant, sc.u, f, "user")
		s.sensitiveDone(r, actFactorRemoved, factors.Label(f))
		if f.IsDefault && len(sc.factors) > 1 {
			for _, o := range sc.factors {
				if o.ID != f.ID {
					_ = s.store.SetDefaultFactor(ctx, p.tenant.ID, sc.u.ID, o.ID)
					break
				}
			}
		}
		done = "removed"
	default:
		http.NotFound(w, r)
		return
	}
	http.Redirect(w, r, s.securityURL(p)+"?done="+done, http.StatusSeeOther)
}
