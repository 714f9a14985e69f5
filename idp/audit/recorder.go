package audit

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/device"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Appender is the store Recorder writes to.
type Appender interface {
	AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error
}

// Recorder appends security events. Store, Clock and Logger are required;
// Request and Locate may be nil (nothing is filled in from them then).
type Recorder struct {
	Store  Appender
	Clock  func() time.Time
	Logger *slog.Logger
	// Request returns the client IP, user agent and request id of the HTTP
	// request ctx belongs to, or "" for each when there is none.
	Request func(ctx context.Context) (ip, userAgent, requestID string)
	// Locate names the place of an IP address ("Berlin, DE"), or ""; set
	// only when GeoIP is configured.
	Locate func(ip string) string
	// Outside is the actor kind of events recorded outside any HTTP request
	// that name none: store.ActorCLI in a CLI process, else store.ActorSystem.
	Outside string
}

// Record appends e, filling in what it leaves empty: id, time, the outcome
// its type implies (OutcomeOf), and from the
// request, the client IP, a summary of the user agent ("Firefox 133 on
// Linux", never the raw header) and the request id; the location when GeoIP
// names one; and the actor — the user the event is about, else the client,
// when it happened in a request, and Outside when it did not. A failure is logged with the event's type and tenant (no detail,
// which may name a user); it is not returned, so that recording never decides
// an outcome.
func (r *Recorder) Record(ctx context.Context, e *store.AuditEvent) {
	if e.ID == "" {
		e.ID = store.NewID()
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = r.Clock()
	}
	if e.Outcome == "" {
		e.Outcome = OutcomeOf(e.Type)
	}
	inRequest := false
	if r.Request != nil {
		ip, ua, reqID := r.Request(ctx)
		inRequest = ip != "" || reqID != ""
		if e.IP == "" {
			e.IP = ip
		}
		if e.UserAgent == "" && ua != "" {
			e.UserAgent = device.Describe(ua).Label
		}
		if e.RequestID == "" {
			e.RequestID = reqID
		}
	}
	if e.Location == "" && e.IP != "" && r.Locate != nil {
		e.Location = r.Locate(e.IP)
	}
	if e.ActorKind == "" {
		switch {
		case inRequest && e.UserID != "":
			e.ActorKind, e.ActorID = store.ActorUser, e.UserID
		case inRequest && e.ClientID != "":
			e.ActorKind, e.ActorID = store.ActorClient, e.ClientID
		case inRequest:
			e.ActorKind = store.ActorUser // someone not (yet) known: a failed sign-in
		case r.Outside != "":
			e.ActorKind = r.Outside
		default:
			e.ActorKind = store.ActorSystem
		}
	}
	if bad := undeclared(e.Type, e.Detail); len(bad) > 0 {
		// A detail field nobody declared (detail.go): kept, and said loudly,
		// so a new field is reviewed before it can carry something it must not.
		r.Logger.Error("audit event with undeclared detail fields", "type", e.Type, "keys", bad)
	}
	if err := r.Store.AppendAuditEvent(ctx, e); err != nil {
		r.Logger.Error("audit event lost", "type", e.Type, "tenant_id", e.TenantID, "err", err)
	}
}
