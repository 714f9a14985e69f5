package idp

import (
	"errors"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp/factors"
)

// Pages of the brute-force protection. The counters, their limits and the
// one guard every password and code check goes through are
// factors.Service's (SignInGuard, AccountGuard, VerifyThrottled).

// refusedAttempt answers an attempt that the guard refused before any
// check: 503 when the counters could not be used (fail closed), else 429
// with Retry-After and the throttle's sentence through again. It reports
// whether err was such a refusal (and the page was answered).
func (s *Server) refusedAttempt(w http.ResponseWriter, r *http.Request, p *tenantProvider, err error, again func(status int, msg string)) bool {
	var te *factors.ThrottledError
	switch {
	case errors.Is(err, factors.ErrThrottleUnavailable):
		s.log.Error("brute-force counters", "tenant", p.tenant.Slug, "err", err)
		s.renderError(w, r, http.StatusServiceUnavailable, "Temporarily unavailable", "Please try again in a moment.")
	case errors.As(err, &te):
		w.Header().Set("Retry-After", te.RetryAfter())
		again(http.StatusTooManyRequests, te.Public())
	default:
		return false
	}
	return true
}
