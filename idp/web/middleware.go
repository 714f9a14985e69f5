package web

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/policy"
)

// MaxBodyBytes bounds every request body Gatehouse reads. The middleware
// applies it once, to every request.
const MaxBodyBytes = 64 << 10

// Proxies decides the client IP of a request: RemoteAddr, unless the direct
// peer is a configured trusted proxy (then X-Forwarded-For, read right to
// left). Links and issuers are never built from forwarded headers.
type Proxies struct{ p policy.ProxyPolicy }

// NewProxies parses the trusted proxy CIDRs.
func NewProxies(cidrs []string) (*Proxies, error) {
	p, err := policy.ParseTrustedProxies(cidrs)
	if err != nil {
		return nil, err
	}
	return &Proxies{p: p}, nil
}

// ClientIP returns the client address as text ("" when it cannot be told).
func (pp *Proxies) ClientIP(r *http.Request) string {
	ip, err := pp.p.ClientIPFromRequest(r)
	if err != nil {
		return ""
	}
	return ip.String()
}

// Middleware is what every request passes first: a request id, the client
// IP (trusted proxies only) in the request context, the body limit,
// security headers, panic recovery and one structured access-log line (the
// path only: queries carry state, codes and hints).
type Middleware struct {
	Proxies *Proxies
	Log     *slog.Logger
	Dev     bool // no HSTS on plain-HTTP dev servers
}

// Wrap returns next behind the middleware.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var idb [8]byte
		_, _ = rand.Read(idb[:])
		reqID := hex.EncodeToString(idb[:])
		ip := m.Proxies.ClientIP(r)
		r = r.WithContext(WithExchange(r.Context(), &Exchange{W: w, R: r, ClientIP: ip, RequestID: reqID}))
		h := w.Header()
		h.Set("X-Request-Id", reqID)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if !m.Dev {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		}
		rec := &StatusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				m.Log.Error("panic", "request_id", reqID, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				if rec.Code == 0 {
					http.Error(rec, "Internal error", http.StatusInternalServerError)
				}
			}
			if rec.Code == 0 {
				rec.Code = http.StatusOK
			}
			if m.Log.Enabled(r.Context(), slog.LevelInfo) {
				m.Log.LogAttrs(r.Context(), slog.LevelInfo, "http",
					slog.String("request_id", reqID), slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.Int("status", rec.Code), slog.Duration("duration", time.Since(start)), slog.String("ip", ip))
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// StatusRecorder remembers the status code written through it.
type StatusRecorder struct {
	http.ResponseWriter
	Code int
}

func (s *StatusRecorder) WriteHeader(code int) {
	if s.Code == 0 {
		s.Code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *StatusRecorder) Write(b []byte) (int, error) {
	if s.Code == 0 {
		s.Code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *StatusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
