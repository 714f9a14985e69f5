package account

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// The sensitive-action guard. Every account action that adds,
// reveals or removes a credential or a way in is mounted as
//
//	h.sensitive(handler)
//
// in the route table (Mount, routes.go), so the
// security level of a route is visible where the route is. The guard
//
//   - finds the signed-in user (or starts a sign-in),
//   - demands a fresh local second factor (sensitiveFreshness: a sign-in
//     within recentAuth that earned acr mfa from Gatehouse's own methods or
//     an upstream whose MFA the connection trusts; an email code only when
//     the user has no stronger factor; a user with no factor at all needs
//     only the recent sign-in), and refuses with a "confirm it's you" page
//     and the audit event account.sensitive.refused otherwise,
//   - and sends the user exactly one email per completed action (the
//     handler reports completion with sensitiveDone; any notice the action
//     itself sends is collected and sent as that one email).
//
// TestSensitiveRoutesAreGuarded (e2e) walks every mounted account route with
// a state-changing method and fails when one is neither behind this guard
// nor on its commented allowlist.

// sensitiveAction names a completed account action in the audit log and in
// the email the user gets.
type sensitiveAction struct {
	Name  string // audit detail, stable
	Label string // the email's subject line and first sentence
}

var (
	actFactorAdded      = sensitiveAction{"factor.added", "A sign-in method was added to your account"}
	actFactorRemoved    = sensitiveAction{"factor.removed", "A sign-in method was removed from your account"}
	actFactorRenamed    = sensitiveAction{"factor.renamed", "A sign-in method of your account was renamed"}
	actFactorDefault    = sensitiveAction{"factor.default", "Your default sign-in method was changed"}
	actPhoneChanged     = sensitiveAction{"factor.phone_changed", "The phone number for your sign-in codes was changed"}
	actCodesRegenerated = sensitiveAction{"backup_codes.regenerated", "New backup codes were generated for your account"}
	actCodesDownloaded  = sensitiveAction{"backup_codes.downloaded", "Your backup codes were downloaded"}
	actDevicesForgotten = sensitiveAction{"devices.forgotten", "Every browser will ask for your second factor again"}
	actDeviceUnblocked  = sensitiveAction{"device.unblocked", "A blocked browser or location was unblocked"}
	actConnected        = sensitiveAction{"connection.connected", "An upstream account was connected to your account"}
	actDisconnected     = sensitiveAction{"connection.disconnected", "An upstream account was disconnected from your account"}
	actPasswordChanged  = sensitiveAction{"password.changed", "Your password was changed"}
	actAccountChanged   = sensitiveAction{"account.changed", "The sign-in settings of your account were changed"}
)

// recentAuth is how fresh a session must be to change a way in.
const recentAuth = 10 * time.Minute

// freshness is the guard's verdict on a session.
type freshness struct {
	OK bool
	// Reason is for the audit log and the page: "second_factor",
	// "email_code" (no stronger factor enrolled), "no_factors" (a recent
	// sign-in is enough: the user has nothing stronger to show); refusals
	// "stale", "no_second_factor", "email_code_not_enough".
	Reason string
}

// strongFactor: a factor kind that outranks an email code.
func strongFactor(kind string) bool {
	return kind == store.FactorTOTP || kind == store.FactorSMS || kind == store.FactorWebAuthn
}

// sensitiveFreshness decides whether sess may perform a sensitive action
// for a user holding h, at now. Only what Gatehouse itself verified counts:
// sess.ACR is computed from Gatehouse's own methods (plus an upstream MFA
// assertion only on a connection that trusts it, --accept-upstream-mfa),
// never from upstream amr values, which the session lists as well.
func sensitiveFreshness(now time.Time, sess *store.Session, h factors.Holdings) freshness {
	age := now.Sub(sess.AuthTime)
	if age > recentAuth || age < -time.Minute {
		return freshness{Reason: "stale"}
	}
	if h.MayEnrol() { // no factor, no backup code
		return freshness{OK: true, Reason: "no_factors"}
	}
	if policy.ACRRank(sess.ACR) >= policy.ACRRank(policy.ACRMFA) {
		return freshness{OK: true, Reason: "second_factor"}
	}
	if !slices.Contains(sess.AMR, policy.AMREmail) { // "email" is ours only: upstream amr never carries it
		return freshness{Reason: "no_second_factor"}
	}
	if slices.ContainsFunc(h.Verified, func(f *store.Factor) bool { return strongFactor(f.Kind) }) {
		return freshness{Reason: "email_code_not_enough"}
	}
	return freshness{OK: true, Reason: "email_code"}
}

// sessionFreshness loads what the verdict needs and returns it.
func (h *Handler) sessionFreshness(ctx context.Context, t *store.Tenant, u *store.User, sess *store.Session) (freshness, error) {
	held, err := h.Factors.Holdings(ctx, t.ID, u.ID, h.Factors.TenantPolicy(ctx, t))
	if err != nil {
		return freshness{}, err
	}
	return sensitiveFreshness(h.Clock(), sess, held), nil
}

// guardReply is how the guard answers a refused request.
type guardReply int

const (
	replyPage guardReply = iota // an HTML page with a "confirm it's you" button
	replyJSON                   // a JSON error (WebAuthn ceremony starts)
)

type sensitiveKey struct{}

// sensitiveOp is a guarded request in progress: what the handler reports
// as done, and the notices its action tried to send.
type sensitiveOp struct {
	u       *store.User
	sess    *store.Session
	verdict freshness

	mu     sync.Mutex
	action *sensitiveAction
	detail string
	mails  []pendingMail
}

type pendingMail struct {
	kind   string
	values map[string]any
}

// guardedOp returns the sensitive operation of ctx, or nil outside the guard.
func guardedOp(ctx context.Context) *sensitiveOp {
	op, _ := ctx.Value(sensitiveKey{}).(*sensitiveOp)
	return op
}

// sensitive wraps an account handler with the guard (see the top of file).
func (h *Handler) sensitive(next web.TenantHandler, reply ...guardReply) web.TenantHandler {
	asJSON := len(reply) > 0 && reply[0] == replyJSON
	return func(w http.ResponseWriter, r *http.Request, t *store.Tenant) {
		u, sess, ok := h.accountUser(w, r, t)
		if !ok {
			return
		}
		ctx := r.Context()
		v, err := h.sessionFreshness(ctx, t, u, sess)
		if err != nil {
			h.Pages.Unavailable(w, r, "account: sensitive guard", err)
			return
		}
		if !v.OK {
			h.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.AccountSensitiveRefused, UserID: u.ID, SessionID: sess.ID,
				Detail: map[string]string{"route": r.Pattern, "reason": v.Reason}})
			h.refuseSensitive(w, r, t, v, asJSON)
			return
		}
		op := &sensitiveOp{u: u, sess: sess, verdict: v}
		next(w, r.WithContext(context.WithValue(ctx, sensitiveKey{}, op)), t)
		h.finishSensitive(ctx, t, r.Pattern, op)
	}
}

// refuseSensitive is the guard's "confirm it's you" answer.
func (h *Handler) refuseSensitive(w http.ResponseWriter, r *http.Request, t *store.Tenant, v freshness, asJSON bool) {
	msg := "For your security, confirm it's you with your second sign-in method before changing how you sign in."
	switch v.Reason {
	case "stale":
		msg = "For your security, sign in again before changing how you sign in."
	case "email_code_not_enough":
		msg = "An email code is not enough for this change: confirm it's you with your authenticator app, phone or passkey."
	}
	if asJSON {
		web.JSONError(w, http.StatusForbidden, msg)
		return
	}
	// The fresh sign-in returns to the account page the action was on.
	ret, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/t/"+t.Slug+"/account/"), "/")
	h.Pages.Render(w, http.StatusForbidden, "confirm", &confirmData{Page: web.Page{Title: "Confirm it's you", TenantName: t.Name,
		Message: msg, Action: h.securityURL(t) + "/reauth", Back: h.TenantURL(t.Slug) + "/account", BackLabel: "Back to your account"},
		Return: ret})
}

// confirmData is the guard's page: the reauth form and where it returns.
type confirmData struct {
	web.Page
	Return string
}

// reauthReturns are the account pages a "Confirm it's you" sign-in may
// return to (securityReauth); anything else returns to the security page.
var reauthReturns = []string{"security", "connections", "password", "devices"}

// sensitiveDone reports that the guarded request completed action (detail:
// what it was about, for the email: a factor's label, a connection's name).
func (h *Handler) sensitiveDone(r *http.Request, a sensitiveAction, detail string) {
	op := guardedOp(r.Context())
	if op == nil {
		panic("sensitiveDone outside the sensitive guard: mount the route with h.sensitive")
	}
	op.mu.Lock()
	op.action, op.detail = &a, detail
	op.mu.Unlock()
}

// HoldMail keeps a notice an action sends inside a guarded request, to be
// sent as (or folded into) the action's one email. It reports false outside
// the guard. It is the mailer's Hold (idp.New wires it).
func HoldMail(ctx context.Context, kind string, values map[string]any) bool {
	op := guardedOp(ctx)
	if op == nil {
		return false
	}
	op.mu.Lock()
	op.mails = append(op.mails, pendingMail{kind: kind, values: values})
	op.mu.Unlock()
	return true
}

// finishSensitive sends the one email of a completed action and records
// it: the action's own notice when it sent exactly one (factor_added,
// factor_removed, password_changed), else the account-change email naming
// the action (a phone change sends both added and removed: one email).
func (h *Handler) finishSensitive(ctx context.Context, t *store.Tenant, route string, op *sensitiveOp) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.action == nil && len(op.mails) == 0 {
		return // refused or unfinished (a form shown again, a ceremony begun)
	}
	name := "notice." + route
	if op.action != nil {
		name = op.action.Name
	}
	h.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.AccountSensitive, UserID: op.u.ID, SessionID: op.sess.ID,
		Detail: map[string]string{"action": name, "freshness": op.verdict.Reason}})
	if len(op.mails) == 1 { // the action's own notice names it (factor_added, password_changed...)
		m := op.mails[0]
		h.Mailer.SendValues(ctx, t, op.u, m.kind, m.values)
		return
	}
	a := actAccountChanged // several notices and no action reported
	if op.action != nil {
		a = *op.action
	}
	h.notifyAction(ctx, t, op.u, a, op.detail)
}

// Connected tells the user that an upstream account of connection (with
// email, "" when the upstream shared none) was connected to theirs: the
// action's one email. A connect is started here behind the guard but
// completes on the sign-in side's federated callback, outside any guarded
// request, so the root wires this into that callback.
func (h *Handler) Connected(ctx context.Context, t *store.Tenant, u *store.User, connection, email string) {
	h.notifyAction(ctx, t, u, actConnected, connection+accountSuffix(email))
}

// notifyAction emails the user that action a happened on their account
// (outside a guarded request: ctx must not carry an operation, else the
// mail would be held for it).
func (h *Handler) notifyAction(ctx context.Context, t *store.Tenant, u *store.User, a sensitiveAction, detail string) {
	h.Mailer.Notify(ctx, t, u, mailer.AccountChanged, map[string]any{"Action": a.Label, "Detail": detail})
}
