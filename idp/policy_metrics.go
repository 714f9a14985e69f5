package idp

import "github.com/prometheus/client_golang/prometheus"

// policyMetrics are the access-policy series.
type policyMetrics struct {
	ipRefusals *prometheus.CounterVec
	throttled  *prometheus.CounterVec
	locks      prometheus.Counter
}

func newPolicyMetrics(reg *prometheus.Registry) *policyMetrics {
	m := &policyMetrics{
		ipRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_ip_refusals_total", Help: "Requests refused by a tenant IP allowlist, by scope (signin, api).",
		}, []string{"scope"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_login_throttled_total", Help: "Sign-in attempts refused: brute-force back-off or lock, or a blocked browser or location (reason: backoff, locked, blocked_device, blocked_location).",
		}, []string{"reason"}),
		locks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_login_locks_total", Help: "Accounts or client addresses locked after too many failed sign-ins.",
		}),
	}
	reg.MustRegister(m.ipRefusals, m.throttled, m.locks)
	return m
}
