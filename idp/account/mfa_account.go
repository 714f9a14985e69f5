package account

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

func (h *Handler) securityURL(t *store.Tenant) string {
	return h.TenantURL(t.Slug) + "/account/security"
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
func (h *Handler) loadSecurity(w http.ResponseWriter, r *http.Request, t *store.Tenant) (*securityCtx, bool) {
	ctx := r.Context()
	var (
		u    *store.User
		sess *store.Session
	)
	if op := guardedOp(ctx); op != nil {
		u, sess = op.u, op.sess
	} else if u, sess, _ = h.accountUser(w, r, t); u == nil {
		return nil, false
	}
	sc := &securityCtx{u: u, sess: sess, mp: h.Factors.TenantPolicy(ctx, t)}
	held, err := h.Factors.Holdings(ctx, t.ID, u.ID, sc.mp)
	if err != nil {
		h.Pages.Unavailable(w, r, "account: list factors", err)
		return nil, false
	}
	sc.factors = held.Verified
	sc.recent = sensitiveFreshness(h.Clock(), sess, held).OK
	return sc, true
}

// parsePost parses a security form.
func (h *Handler) parsePost(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		h.Pages.Error(w, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return false
	}
	return true
}

func (h *Handler) securityPage(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	sc, ok := h.loadSecurity(w, r, t)
	if !ok {
		return
	}
	h.renderSecurity(w, r, t, sc, http.StatusOK, "", r.URL.Query().Get("done"), nil)
}

var securityNotices = map[string]string{
	"enrolled": "Your new sign-in method is ready.", "removed": "The sign-in method was removed.",
	"renamed": "Saved.", "default": "Your default sign-in method was changed.", "saved": "Thanks — your backup codes are marked as saved.",
	"forgotten": "Every browser will ask for your second factor again.",
}

func (h *Handler) renderSecurity(w http.ResponseWriter, r *http.Request, t *store.Tenant, sc *securityCtx, status int, errMsg, notice string, mut func(*securityData)) {
	ctx := r.Context()
	d := &securityData{accountData: accountData{Page: web.Page{Title: "Sign-in security", TenantName: t.Name, Error: errMsg,
		Message: securityNotices[notice], Action: h.securityURL(t)}, User: sc.u, Session: sc.sess, SignedIn: sc.sess.AuthTime},
		Base: h.securityURL(t), AccountURL: h.TenantURL(t.Slug) + "/account", Recent: sc.recent}
	for _, f := range sc.factors {
		d.Factors = append(d.Factors, securityFactor{View: factors.ViewOf(f), Name: f.Name, Created: f.CreatedAt, LastUsed: f.LastUsedAt})
	}
	for _, m := range sc.mp.Methods {
		if k, ok := factors.KindViews[m]; ok {
			d.Kinds = append(d.Kinds, k)
			d.Script = d.Script || m == policy.MethodWebAuthn
		}
	}
	if set, err := h.Store.BackupCodeSet(ctx, t.ID, sc.u.ID); err == nil {
		d.HasCodes, d.CodesLeft, d.CodesTotal, d.CodesMade = true, set.Remaining(), len(set.Codes), set.CreatedAt
		d.Unsaved, d.Download = set.AcknowledgedAt == nil, len(set.SealedCodes) > 0
		for _, c := range set.Codes {
			if c.UsedAt != nil {
				d.Used = append(d.Used, usedCode{Number: c.Index + 1, UsedAt: *c.UsedAt})
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		h.Pages.Unavailable(w, r, "account: backup codes", err)
		return
	}
	if devs, err := h.Store.ListDevices(ctx, t.ID, sc.u.ID); err == nil {
		now := h.Clock()
		for _, dv := range devs {
			if dv.RememberUntil != nil && now.Before(*dv.RememberUntil) {
				d.Remembered++
			}
		}
	}
	if mut != nil {
		mut(d)
	}
	h.Pages.Render(w, status, "security", d)
}

// securityReauth starts a fresh sign-in that returns to the security page
// (or to the account page named by "return", from the guard's page).
func (h *Handler) securityReauth(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	sc, ok := h.loadSecurity(w, r, t)
	if !ok {
		return
	}
	now := h.Clock()
	back := h.securityURL(t)
	if ret := r.PostFormValue("return"); slices.Contains(reauthReturns, ret) {
		back = h.TenantURL(t.Slug) + "/account/" + ret
	}
	ar := &store.AuthRequest{
		ID: store.NewID(), TenantID: t.ID, ClientID: tenant.AccountClientID, RedirectURI: back,
		Scopes: []string{oidc.ScopeOpenID}, ResponseType: string(oidc.ResponseTypeCode), Prompt: []string{oidc.PromptLogin},
		HintUserID: sc.u.ID, LoginHint: sc.u.Email, CreatedAt: now, ExpiresAt: now.Add(session.AuthRequestTTL),
	}
	if len(sc.factors) > 0 {
		ar.ACRValues = []string{policy.ACRMFA} // a second factor, whatever the tenant's mode
	}
	if err := h.Sessions.CreateAuthRequest(w, r, t, ar); err != nil {
		h.Pages.Unavailable(w, r, "account: reauth request", err)
		return
	}
	http.Redirect(w, r, h.TenantURL(t.Slug)+"/login?id="+ar.ID, http.StatusSeeOther)
}

// securityEnroll starts enrolling a TOTP, SMS or email factor; a phone
// number change passes `replaces`, the SMS factor it re-binds.
func (h *Handler) securityEnroll(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	sc, ok := h.loadSecurity(w, r, t)
	if !ok || !h.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	kind, replaces := r.PostForm.Get("kind"), r.PostForm.Get("replaces")
	if kind == store.FactorWebAuthn || !sc.mp.Allows(kind) || (replaces != "" && !slices.ContainsFunc(sc.factors,
		func(f *store.Factor) bool { return f.ID == replaces && f.Kind == kind })) {
		h.renderSecurity(w, r, t, sc, http.StatusBadRequest, factors.ErrKindNotAllowed.Public(), "", nil)
		return
	}
	f, err := h.Factors.StartEnrollment(ctx, t, sc.u, kind, r.PostForm.Get("phone"))
	if err == nil && (kind == store.FactorSMS || kind == store.FactorEmail) {
		err = h.Factors.SendCode(ctx, t, sc.u, f, store.OTPPurposeEnroll, f.ID)
	}
	if err != nil {
		msg, ok := web.PublicText(err)
		if !ok {
			h.Pages.Unavailable(w, r, "account: enroll", err)
			return
		}
		h.renderSecurity(w, r, t, sc, http.StatusBadRequest, msg, "", nil)
		return
	}
	h.renderEnrolling(w, r, t, sc, f, replaces, http.StatusOK, "")
}

func (h *Handler) renderEnrolling(w http.ResponseWriter, r *http.Request, t *store.Tenant, sc *securityCtx, f *store.Factor, replaces string, status int, errMsg string) {
	var qr template.URL
	var secret string
	if f.Kind == store.FactorTOTP {
		if err := h.Factors.TOTPView(t, sc.u, f, &qr, &secret); err != nil {
			h.Pages.Unavailable(w, r, "account: totp view", err)
			return
		}
	}
	h.renderSecurity(w, r, t, sc, status, errMsg, "", func(d *securityData) {
		v := factors.ViewOf(f)
		d.Enrolling, d.Replaces, d.QR, d.Secret = &v, replaces, qr, secret
	})
}

// pendingFactor is the user's unverified factor named in the form.
func (h *Handler) pendingFactor(r *http.Request, t *store.Tenant, sc *securityCtx) (*store.Factor, bool) {
	id := r.PostForm.Get("factor")
	if id == "" || len(id) > 64 {
		return nil, false
	}
	f, err := h.Store.FactorByID(r.Context(), t.ID, sc.u.ID, id)
	if err != nil || f.Verified || !sc.mp.Allows(f.Kind) {
		return nil, false
	}
	return f, true
}

func (h *Handler) securityVerify(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	sc, ok := h.loadSecurity(w, r, t)
	if !ok || !h.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	f, ok := h.pendingFactor(r, t, sc)
	if !ok {
		h.renderSecurity(w, r, t, sc, http.StatusBadRequest, "That setup expired. Start again.", "", nil)
		return
	}
	replaces := r.PostForm.Get("replaces")
	guard := h.Factors.FactorGuard(t, sc.u.ID, "")
	if err := h.Factors.ConfirmEnrollment(ctx, guard, t, sc.u, f, r.PostForm.Get("code")); err != nil {
		h.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAEnrollFailed, UserID: sc.u.ID,
			Detail: map[string]string{"kind": f.Kind}})
		msg, ok := web.PublicText(err)
		if !ok {
			h.Pages.Unavailable(w, r, "account: confirm enrollment", err)
			return
		}
		h.renderEnrolling(w, r, t, sc, f, replaces, http.StatusUnauthorized, msg)
		return
	}
	h.sensitiveDone(r, actFactorAdded, factors.Label(f))
	if replaces != "" {
		if old, err := h.Store.FactorByID(ctx, t.ID, sc.u.ID, replaces); err == nil && old.Kind == f.Kind && old.ID != f.ID {
			if old.IsDefault {
				_ = h.Store.SetDefaultFactor(ctx, t.ID, sc.u.ID, f.ID)
			}
			h.Factors.RemoveFactor(ctx, t, sc.u, old, "rebound")
			h.sensitiveDone(r, actPhoneChanged, factors.Label(old)+" → "+factors.Label(f))
		}
	}
	h.afterEnroll(w, r, t, sc)
}

// afterEnroll shows backup codes once when the user has none yet.
func (h *Handler) afterEnroll(w http.ResponseWriter, r *http.Request, t *store.Tenant, sc *securityCtx) {
	ctx := r.Context()
	if _, err := h.Store.BackupCodeSet(ctx, t.ID, sc.u.ID); errors.Is(err, store.ErrNotFound) {
		codes, err := h.Factors.NewBackupCodes(ctx, t, sc.u)
		if err != nil {
			h.Pages.Unavailable(w, r, "account: backup codes", err)
			return
		}
		sc2, ok := h.loadSecurity(w, r, t)
		if !ok {
			return
		}
		h.renderSecurity(w, r, t, sc2, http.StatusOK, "", "enrolled", func(d *securityData) { d.NewCodes = formatCodes(codes) })
		return
	}
	http.Redirect(w, r, h.securityURL(t)+"?done=enrolled", http.StatusSeeOther)
}

func formatCodes(codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = backupcodes.Format(c)
	}
	return out
}

func (h *Handler) securitySend(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	sc, ok := h.loadSecurity(w, r, t)
	if !ok || !h.parsePost(w, r) {
		return
	}
	f, ok := h.pendingFactor(r, t, sc)
	if !ok || (f.Kind != store.FactorSMS && f.Kind != store.FactorEmail) {
		h.renderSecurity(w, r, t, sc, http.StatusBadRequest, "That setup expired. Start again.", "", nil)
		return
	}
	msg, status := "", http.StatusOK
	if err := h.Factors.SendCode(r.Context(), t, sc.u, f, store.OTPPurposeEnroll, f.ID); err != nil {
		public, ok := web.PublicText(err)
		if !ok {
			h.Pages.Unavailable(w, r, "account: send code", err)
			return
		}
		msg, status = public, http.StatusTooManyRequests
	}
	h.renderEnrolling(w, r, t, sc, f, r.PostForm.Get("replaces"), status, msg)
}

// ownFactor is the user's verified factor {id} from the path.
func (h *Handler) ownFactor(r *http.Request, sc *securityCtx) (*store.Factor, bool) {
	id := r.PathValue("id")
	i := slices.IndexFunc(sc.factors, func(f *store.Factor) bool { return f.ID == id })
	if i < 0 {
		return nil, false
	}
	return sc.factors[i], true
}

func (h *Handler) securityFactorAction(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
	sc, ok := h.loadSecurity(w, r, t)
	if !ok || !h.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	f, ok := h.ownFactor(r, sc)
	if !ok {
		h.renderSecurity(w, r, t, sc, http.StatusNotFound, "That sign-in method does not exist.", "", nil)
		return
	}
	done := ""
	switch r.PathValue("action") {
	case "rename":
		f.Name = factors.CleanName(r.PostForm.Get("name"), f.Kind)
		if err := h.Store.UpdateFactor(ctx, f); err != nil {
			h.Pages.Unavailable(w, r, "account: rename", err)
			return
		}
		h.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAFactorRenamed, UserID: sc.u.ID, Detail: map[string]string{"factor_id": f.ID}})
		h.sensitiveDone(r, actFactorRenamed, factors.Label(f))
		done = "renamed"
	case "default":
		if err := h.Store.SetDefaultFactor(ctx, t.ID, sc.u.ID, f.ID); err != nil {
			h.Pages.Unavailable(w, r, "account: default", err)
			return
		}
		h.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.MFAFactorDefault, UserID: sc.u.ID, Detail: map[string]string{"factor_id": f.ID}})
		h.sensitiveDone(r, actFactorDefault, factors.Label(f))
		done = "default"
	case "remove":
		if len(sc.factors) == 1 && sc.mp.Mode != policy.MFANever {
			h.renderSecurity(w, r, t, sc, http.StatusConflict,
				"Your organisation requires a second sign-in method. Add another one before removing your last.", "", nil)
			return
		}
		h.Factors.RemoveFactor(ctx, t, sc.u, f, "user")
		h.sensitiveDone(r, actFactorRemoved, factors.Label(f))
		if f.IsDefault && len(sc.factors) > 1 {
			for _, o := range sc.factors {
				if o.ID != f.ID {
					_ = h.Store.SetDefaultFactor(ctx, t.ID, sc.u.ID, o.ID)
					break
				}
			}
		}
		done = "removed"
	default:
		http.NotFound(w, r)
		return
	}
	http.Redirect(w, r, h.securityURL(t)+"?done="+done, http.StatusSeeOther)
}
