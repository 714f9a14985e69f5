package idp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/mailer"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Brute-force protection for passwords (sign-in, the account page's
// current password, the federation linking proof) and for the codes of the
// password reset form. Two counters per attempt, both in the database so
// every replica sees the same numbers:
//
//   - the account: "user:<id>" when the email names a user, else
//     "email:<normalised email>", so the counter is the same whichever way
//     the account is named and unknown accounts behave exactly like known ones;
//   - the client address: "ip:<address>" (IPv6: its /64, which one host
//     usually controls whole), at ten times the account limit because
//     offices share one address.
//
// Every attempt is reserved before the password is checked (loginGuard,
// through verifyThrottled in credential_guard.go): one transaction adds one
// to both counters, each in a conditional statement that admits the attempt
// only while policy.Throttle's schedule (free attempts, doubling delays,
// lock) allows one now. A refused attempt costs no hashing but is counted
// all the same, so a burst of parallel guesses adds up exactly, performs
// only the checks the schedule admits, and guessing during a lock extends
// it. A correct password clears the account's counter and takes back its
// reservation on the address's (one valid account must not reset an
// attacker's address). Reaching the limit locks for the tenant's lock time,
// writes a security event and emails the user.

// ipThrottleFactor scales the account limit for a client address.
const ipThrottleFactor = 10

func accountThrottle(set store.TenantSettings) policy.Throttle {
	limit := set.LoginFailureLimit()
	free := min(3, limit-1) // typing mistakes cost nothing, but stay below the limit
	if free <= 0 {
		free = -1 // policy.Throttle: negative means "no free attempts"
	}
	return policy.Throttle{MaxFailures: limit, Window: set.LoginWindow(), LockDuration: set.LoginLock(),
		FreeAttempts: free, BaseDelay: time.Second, MaxDelay: time.Minute}
}

func ipThrottle(set store.TenantSettings) policy.Throttle {
	limit := set.LoginFailureLimit() * ipThrottleFactor
	return policy.Throttle{MaxFailures: limit, Window: set.LoginWindow(), LockDuration: set.LoginLock(),
		FreeAttempts: limit / 2, BaseDelay: time.Second, MaxDelay: time.Minute}
}

// accountKey is the counter key of the account an email names.
func accountKey(u *store.User, email string) string {
	if u != nil {
		return "user:" + u.ID
	}
	return "email:" + strings.ToLower(strings.TrimSpace(email))
}

// ipKey is the counter key of a client address ("" when unknown).
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.String()
}

// throttleMessage is what the login page says; it is the same whether or
// not the account exists.
func throttleMessage(v policy.Verdict) string {
	secs := int((v.RetryAfter + time.Second - 1) / time.Second)
	if v.Locked {
		mins := (secs + 59) / 60
		return fmt.Sprintf("Sign-in is temporarily locked after too many failed attempts. Try again in %d minute%s.", mins, plural(mins))
	}
	return fmt.Sprintf("Too many failed attempts. Try again in %d second%s.", secs, plural(secs))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// UnlockUser clears the brute-force counters of the account an email names
// (the user's id and the email itself). It reports how many counters were
// cleared.
func (s *Server) UnlockUser(ctx context.Context, t *store.Tenant, email string) (int64, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := s.store.UserByEmail(ctx, t.ID, email)
	if err != nil {
		return 0, &InputError{Problems: []string{fmt.Sprintf("no user with email %q in tenant %s", email, t.Slug)}}
	}
	n, err := s.store.ClearLoginFailures(ctx, t.ID, accountKey(u, email), accountKey(nil, email))
	if err != nil {
		return 0, err
	}
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.LoginUnlocked, UserID: u.ID, Detail: map[string]string{"via": "cli"}})
	return n, nil
}

// loginGuard reserves a password attempt (or a reset-form code) against
// the account's and the client address's counters. u is nil for an
// unknown account; clientID names the app in audit events ("" outside
// sign-in).
type loginGuard struct {
	// signIn: a correct password signs in, which clears the account's
	// counter (the login form, the linking proof). Elsewhere (the account
	// page's current password, the reset form's code) it only takes back
	// its own reservation.
	signIn   bool
	p        *tenantProvider
	u        *store.User
	clientID string
	set      store.TenantSettings
	rules    []store.AttemptRule
	counters []store.LoginCounter // after the reservation
}

func (s *Server) signInGuard(ctx context.Context, p *tenantProvider, u *store.User, email, clientID string) *loginGuard {
	g := s.accountGuard(ctx, p, u, email)
	g.signIn, g.clientID = true, clientID
	return g
}

// accountGuard is the guard of a password or code check that does not sign
// in; a correct one only takes back its reservation.
func (s *Server) accountGuard(ctx context.Context, p *tenantProvider, u *store.User, email string) *loginGuard {
	set := s.tenantSettings(ctx, p)
	g := &loginGuard{p: p, u: u, set: set,
		rules: []store.AttemptRule{{Key: accountKey(u, email), Waits: accountThrottle(set).Schedule()}}}
	if ipk := ipKey(web.From(ctx).IP()); ipk != "" {
		g.rules = append(g.rules, store.AttemptRule{Key: ipk, Waits: ipThrottle(set).Schedule()})
	}
	return g
}

func (g *loginGuard) reserve(ctx context.Context, s *Server) error {
	now := s.clock()
	ok, cs, err := s.store.ReserveLoginAttempt(ctx, g.p.tenant.ID, g.rules, now, g.set.LoginCounterQuiet())
	if err != nil {
		return fmt.Errorf("%w: %w", errThrottleUnavailable, err)
	}
	g.counters = cs
	if ok {
		return nil
	}
	// Refused, and counted: the page shows the wait this attempt caused.
	g.noteLocks(ctx, s)
	v := g.verdict(now)
	reason := "backoff"
	if v.Locked {
		reason = "locked"
	}
	s.metrics.policy.throttled.WithLabelValues(reason).Inc()
	ev := &store.AuditEvent{TenantID: g.p.tenant.ID, Type: audit.LoginThrottled, ClientID: g.clientID, Detail: map[string]string{"reason": reason}}
	if g.u != nil {
		ev.UserID = g.u.ID
	}
	s.audit(ctx, ev)
	return &throttledError{reason: reason, msg: throttleMessage(v), retry: v.RetryAfter}
}

// verdict is the first refusing counter's verdict after this attempt
// (the account's before the address's).
func (g *loginGuard) verdict(now time.Time) policy.Verdict {
	ths := []policy.Throttle{accountThrottle(g.set), ipThrottle(g.set)}
	for i, c := range g.counters {
		if v := ths[i].Decide(c.Failures, c.LastFailureAt, now); !v.Allowed {
			return v
		}
	}
	return policy.Verdict{RetryAfter: time.Second} // refused a moment ago: never "try now"
}

// settle takes back the reservation after a correct credential (a sign-in
// clears the account's counter instead); a wrong one stays counted.
func (g *loginGuard) settle(ctx context.Context, s *Server, ok bool) {
	if !ok {
		g.noteLocks(ctx, s)
		return
	}
	refund := g.rules
	if g.signIn {
		if _, err := s.store.ClearLoginFailures(ctx, g.p.tenant.ID, g.rules[0].Key); err != nil {
			s.log.Error("login: clear failures", "tenant", g.p.tenant.Slug, "err", err)
		}
		refund = g.rules[1:]
	}
	for _, r := range refund {
		if err := s.store.RefundLoginAttempt(ctx, g.p.tenant.ID, r.Key); err != nil {
			s.log.Error("login: refund attempt", "tenant", g.p.tenant.Slug, "err", err)
		}
	}
}

// noteLocks records the lock of a counter this attempt brought to its
// limit (each count is returned to one attempt only, so once per lock) and
// emails the user when it is the account's.
func (g *loginGuard) noteLocks(ctx context.Context, s *Server) {
	t, limit := g.p.tenant, g.set.LoginFailureLimit()
	if len(g.counters) > 1 && g.counters[1].Failures == limit*ipThrottleFactor {
		s.metrics.policy.locks.Inc()
		s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.LoginLocked, Detail: map[string]string{"counter": "ip", "failures": fmt.Sprint(g.counters[1].Failures)}})
	}
	if len(g.counters) == 0 || g.counters[0].Failures != limit {
		return
	}
	s.metrics.policy.locks.Inc()
	ev := &store.AuditEvent{TenantID: t.ID, Type: audit.LoginLocked, Detail: map[string]string{"counter": "account",
		"failures": fmt.Sprint(limit), "minutes": fmt.Sprint(int(g.set.LoginLock().Minutes()))}}
	if g.u != nil {
		ev.UserID = g.u.ID
		s.mailer.Notify(ctx, t, g.u, mailer.AccountLocked, map[string]any{"Minutes": int(g.set.LoginLock().Minutes()), "Failures": limit})
	}
	s.audit(ctx, ev)
}

// refusedAttempt answers an attempt that verifyThrottled refused before any
// check: 503 when the counters could not be used (fail closed), else 429
// with Retry-After and the throttle's sentence through again. It reports
// whether err was such a refusal (and the page was answered).
func (s *Server) refusedAttempt(w http.ResponseWriter, r *http.Request, p *tenantProvider, err error, again func(status int, msg string)) bool {
	var te *throttledError
	switch {
	case errors.Is(err, errThrottleUnavailable):
		s.log.Error("brute-force counters", "tenant", p.tenant.Slug, "err", err)
		s.renderError(w, r, http.StatusServiceUnavailable, "Temporarily unavailable", "Please try again in a moment.")
	case errors.As(err, &te):
		w.Header().Set("Retry-After", te.retryAfter())
		again(http.StatusTooManyRequests, te.msg)
	default:
		return false
	}
	return true
}
