package web

import (
	"context"
	"net/http"
)

// Exchange is the HTTP exchange a request context belongs to. The
// middleware decides the request id and the client IP once; code that only
// receives a context (zitadel's storage callbacks, the audit recorder,
// emails naming the requesting address) reads them from here.
type Exchange struct {
	W         http.ResponseWriter
	R         *http.Request
	ClientIP  string
	RequestID string
}

type exchangeKey struct{}

// WithExchange returns ctx carrying x.
func WithExchange(ctx context.Context, x *Exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, x)
}

// From returns ctx's exchange, or nil outside a request. The methods of a
// nil *Exchange answer "".
func From(ctx context.Context) *Exchange {
	x, _ := ctx.Value(exchangeKey{}).(*Exchange)
	return x
}

// IP is the client IP decided by the middleware ("" without a request).
func (x *Exchange) IP() string {
	if x == nil {
		return ""
	}
	return x.ClientIP
}

// UserAgent is the request's User-Agent, at most 512 bytes.
func (x *Exchange) UserAgent() string {
	if x == nil || x.R == nil {
		return ""
	}
	ua := x.R.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return ua
}

// RequestInfo is the client IP, user agent and request id of ctx's request
// ("" without one); it is the audit recorder's view of a request.
func RequestInfo(ctx context.Context) (ip, userAgent, requestID string) {
	x := From(ctx)
	return x.IP(), x.UserAgent(), RequestID(ctx)
}

// ClientIP is r's client IP as the middleware decided it.
func ClientIP(r *http.Request) string { return From(r.Context()).IP() }

// RequestID is the id the middleware gave ctx's request ("" without one).
func RequestID(ctx context.Context) string {
	if x := From(ctx); x != nil {
		return x.RequestID
	}
	return ""
}

// Rebind returns r carrying an exchange with this w and r, keeping the
// request id and client IP the middleware decided. Handlers deeper in the
// chain (a tenant's provider, zitadel's interceptors) call it so code that
// only has the context writes to the writer of its own layer.
func Rebind(w http.ResponseWriter, r *http.Request) *http.Request {
	old := From(r.Context())
	x := &Exchange{W: w, ClientIP: old.IP(), RequestID: RequestID(r.Context())}
	r = r.WithContext(WithExchange(r.Context(), x))
	x.R = r
	return r
}
