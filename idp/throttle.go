package idp

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Brute-force protection for password sign-in. Two counters per attempt,
// both in the database so every replica sees the same numbers:
//
//   - the account: "user:<id>" when the email names a user, else
//     "email:<normalised email>", so the counter is the same whichever way
//     the account is named and unknown accounts behave exactly like known ones;
//   - the client address: "ip:<address>" (IPv6: its /64, which one host
//     usually controls whole), at ten times the account limit because
//     offices share one address.
//
// Before the password is checked, policy.Throttle decides from each counter
// whether the attempt may go ahead. Each wrong password, and each attempt
// refused by the back-off or the lock (it costs no hashing), adds one to both
// counters in one atomic statement each: every guess counts, so a burst of
// parallel guesses adds up exactly, and guessing during a lock extends it. A correct password clears the account's counter
// (not the address's: one valid account must not reset an attacker's
// address). Reaching the limit locks for the tenant's lock time, writes a
// security event and emails the user.

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

// throttleVerdict is the stricter of the account's and the address's verdicts.
func (s *Server) throttleVerdict(ctx context.Context, tenantID string, set store.TenantSettings, acct, ipk string) (policy.Verdict, error) {
	now := s.clock()
	v, err := s.counterVerdict(ctx, tenantID, acct, accountThrottle(set), set, now)
	if err != nil || !v.Allowed || ipk == "" {
		return v, err
	}
	return s.counterVerdict(ctx, tenantID, ipk, ipThrottle(set), set, now)
}

func (s *Server) counterVerdict(ctx context.Context, tenantID, key string, th policy.Throttle, set store.TenantSettings, now time.Time) (policy.Verdict, error) {
	c, err := s.store.LoginCounterByKey(ctx, tenantID, key)
	if err != nil {
		return policy.Verdict{}, err
	}
	// A counter counts while its failures keep coming; a lock outlives the
	// window when the lock time is longer.
	if c.Failures == 0 || !now.Before(c.LastFailureAt.Add(set.LoginCounterQuiet())) {
		return policy.Verdict{Allowed: true}, nil
	}
	return th.Decide(c.Failures, c.LastFailureAt, now), nil
}

// recordFailure counts one wrong password for the account and the address.
// It reports whether this failure locked the account.
func (s *Server) recordFailure(ctx context.Context, tenantID string, set store.TenantSettings, acct, ipk string) (bool, error) {
	now := s.clock()
	c, err := s.store.RecordLoginFailure(ctx, tenantID, acct, now, set.LoginCounterQuiet())
	if err != nil {
		return false, err
	}
	locked := c.Failures == set.LoginFailureLimit()
	if ipk != "" {
		ic, err := s.store.RecordLoginFailure(ctx, tenantID, ipk, now, set.LoginCounterQuiet())
		if err != nil {
			return locked, err
		}
		if ic.Failures == set.LoginFailureLimit()*ipThrottleFactor {
			s.metrics.policy.locks.Inc()
			s.audit(ctx, &store.AuditEvent{TenantID: tenantID, Type: "login.locked", Detail: map[string]string{"counter": "ip", "failures": fmt.Sprint(ic.Failures)}})
		}
	}
	return locked, nil
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
	s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: "login.unlocked", UserID: u.ID, Detail: map[string]string{"via": "cli"}})
	return n, nil
}

// throttleGate runs before the password is checked. It answers the page
// itself (429, or 503 when the counters cannot be read: fail closed) and
// returns ok=false when the attempt may not go ahead.
func (s *Server) throttleGate(w http.ResponseWriter, r *http.Request, p *tenantProvider, ar *store.AuthRequest, u *store.User, email string) (acct, ipk string, ok bool) {
	ctx := r.Context()
	set := s.tenantSettings(ctx, p)
	acct, ipk = accountKey(u, email), ipKey(httpFrom(ctx).ip())
	v, err := s.throttleVerdict(ctx, p.tenant.ID, set, acct, ipk)
	if err != nil {
		s.log.Error("login: read failure counters", "tenant", p.tenant.Slug, "err", err)
		s.renderError(w, r, http.StatusServiceUnavailable, "Temporarily unavailable", "Please try again in a moment.")
		return "", "", false
	}
	if !v.Allowed {
		// A refused attempt is a guess too: it is counted (so a burst of
		// parallel guesses adds up exactly and reaches the lock), and the
		// page shows the wait that this attempt itself caused.
		s.noteFailure(ctx, p, u, acct, ipk)
		if nv, err := s.throttleVerdict(ctx, p.tenant.ID, set, acct, ipk); err == nil && !nv.Allowed {
			v = nv
		}
		reason := "backoff"
		if v.Locked {
			reason = "locked"
		}
		s.metrics.policy.throttled.WithLabelValues(reason).Inc()
		ev := &store.AuditEvent{TenantID: p.tenant.ID, Type: "login.throttled", ClientID: ar.ClientID, Detail: map[string]string{"reason": reason}}
		if u != nil {
			ev.UserID = u.ID
		}
		s.audit(ctx, ev)
		w.Header().Set("Retry-After", fmt.Sprint(int((v.RetryAfter+time.Second-1)/time.Second)))
		s.renderLogin(w, p, ar, http.StatusTooManyRequests, email, throttleMessage(v))
		return "", "", false
	}
	return acct, ipk, true
}

// noteFailure counts a wrong password; on the failure that locks the
// account it records the lock and emails the user.
func (s *Server) noteFailure(ctx context.Context, p *tenantProvider, u *store.User, acct, ipk string) {
	set := s.tenantSettings(ctx, p)
	locked, err := s.recordFailure(ctx, p.tenant.ID, set, acct, ipk)
	if err != nil {
		s.log.Error("login: count failure", "tenant", p.tenant.Slug, "err", err)
		return
	}
	if !locked {
		return
	}
	s.metrics.policy.locks.Inc()
	ev := &store.AuditEvent{TenantID: p.tenant.ID, Type: "login.locked", Detail: map[string]string{"counter": "account",
		"failures": fmt.Sprint(set.LoginFailureLimit()), "minutes": fmt.Sprint(int(set.LoginLock().Minutes()))}}
	if u != nil {
		ev.UserID = u.ID
		s.sendUserMail(ctx, p.tenant, u, mailAccountLocked, mailData{
			IP: httpFrom(ctx).ip(), Device: deviceLabel(httpFrom(ctx).userAgent()), Minutes: int(set.LoginLock().Minutes()), Failures: set.LoginFailureLimit()})
	}
	s.audit(ctx, ev)
}

// noteSuccess clears the account's counter after a correct password.
func (s *Server) noteSuccess(ctx context.Context, p *tenantProvider, acct string) {
	if _, err := s.store.ClearLoginFailures(ctx, p.tenant.ID, acct); err != nil {
		s.log.Error("login: clear failures", "tenant", p.tenant.Slug, "err", err)
	}
}
