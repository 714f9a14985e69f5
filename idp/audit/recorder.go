package audit

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Appender is the store Recorder writes to.
type Appender interface {
	AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error
}

// Recorder appends security events. Store, Clock and Logger are required;
// Request may be nil (no IP or user agent is filled in then).
type Recorder struct {
	Store  Appender
	Clock  func() time.Time
	Logger *slog.Logger
	// Request returns the client IP and user agent of the HTTP request ctx
	// belongs to, or "" for either when there is none.
	Request func(ctx context.Context) (ip, userAgent string)
}

// Record appends e, filling in its id, time, IP and user agent when they are
// empty. A failure is logged with the event's type and tenant (no detail,
// which may name a user); it is not returned, so that recording never decides
// an outcome.
func (r *Recorder) Record(ctx context.Context, e *store.AuditEvent) {
	if e.ID == "" {
		e.ID = store.NewID()
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = r.Clock()
	}
	if r.Request != nil && (e.IP == "" || e.UserAgent == "") {
		ip, ua := r.Request(ctx)
		if e.IP == "" {
			e.IP = ip
		}
		if e.UserAgent == "" {
			e.UserAgent = ua
		}
	}
	if err := r.Store.AppendAuditEvent(ctx, e); err != nil {
		r.Logger.Error("audit event lost", "type", e.Type, "tenant_id", e.TenantID, "err", err)
	}
}
