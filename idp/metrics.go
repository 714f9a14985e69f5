package idp

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Metrics are Gatehouse's Prometheus series. Each Server gets its own
// registry, so tests can build many servers without global state.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	tokens   *prometheus.CounterVec
	logins   *prometheus.CounterVec
	// verifications counts password and second-factor checks actually
	// performed, each behind a reservation (factors.Service.VerifyThrottled).
	verifications *prometheus.CounterVec
	policy        *policyMetrics // policy_metrics.go
	// auditDeleted counts audit events removed by retention (sweeper.go).
	auditDeleted prometheus.Counter
}

// NewMetrics registers the series on reg (a fresh registry with Go and
// process collectors when nil).
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gatehouse_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_tokens_issued_total", Help: "Access tokens issued by grant type.",
		}, []string{"grant"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_logins_total", Help: "Sign-in attempts by method and result.",
		}, []string{"method", "result"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_credential_verifications_total", Help: "Password and second-factor checks performed, by kind (password, factor); each was reserved against the brute-force limits first.",
		}, []string{"kind"}),
		auditDeleted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_audit_events_deleted_total", Help: "Audit events deleted because they were older than their tenant's retention.",
		}),
	}
	for _, k := range []string{"password", "factor"} {
		m.verifications.WithLabelValues(k)
	}
	reg.MustRegister(m.requests, m.latency, m.tokens, m.logins, m.verifications, m.auditDeleted)
	m.policy = newPolicyMetrics(reg)
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// instrument counts and times requests under a fixed route label (never the
// raw path, which would explode the series with tenant slugs and ids).
func (m *Metrics) instrument(route string, h http.Handler) http.Handler {
	lat := m.latency.WithLabelValues(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &web.StatusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if rec.Code == 0 {
			rec.Code = http.StatusOK
		}
		lat.Observe(time.Since(start).Seconds())
		m.requests.WithLabelValues(route, strconv.Itoa(rec.Code)).Inc()
	})
}
