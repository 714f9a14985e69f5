package idp

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite/sqlitetest"
)

// TestSweepKeepsAuditRetention: events older than each tenant's retention go,
// in batches, the chain still verifies, the deletion is itself an event and
// a metric; newer events and other tenants' are untouched.
func TestSweepKeepsAuditRetention(t *testing.T) {
	st := sqlitetest.Open(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	sealer, _ := seal.New(make([]byte, 32), nil)
	s, err := New(Options{Store: st, Sealer: sealer, PublicURL: "https://login.example.com", Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	short := &store.Tenant{Slug: "short", Name: "Short", CreatedAt: now, UpdatedAt: now,
		Settings: store.TenantSettings{AuditRetentionDays: 30}}
	long := &store.Tenant{Slug: "long", Name: "Long", CreatedAt: now, UpdatedAt: now} // default: 365 days
	for _, tn := range []*store.Tenant{short, long} {
		if err := st.CreateTenant(t.Context(), tn); err != nil {
			t.Fatal(err)
		}
		// 2,500 events 40 days old (more than two batches), then 10 recent.
		for i := range 2510 {
			at := now.Add(-40*24*time.Hour + time.Duration(i)*time.Second)
			if i >= 2500 {
				at = now.Add(-time.Duration(2510-i) * time.Hour)
			}
			if err := st.AppendAuditEvent(t.Context(), &store.AuditEvent{TenantID: tn.ID, Type: audit.LoginSSO, CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
	}

	w := s.SweepOnce(t.Context())
	if w.AuditEvents != 2500 {
		t.Fatalf("swept %d audit events, want 2500", w.AuditEvents)
	}
	if got := testutil.ToFloat64(s.metrics.auditDeleted); got != 2500 {
		t.Fatalf("metric = %v", got)
	}
	r, err := audit.Verify(t.Context(), st, short.ID)
	if err != nil || r.Broken != nil || r.Anchor != 2500 || r.Events != 11 { // 10 kept + the truncation event
		t.Fatalf("short tenant after the sweep: %+v, %v", r, err)
	}
	evs, _ := st.ListAuditEvents(t.Context(), short.ID, store.AuditQuery{Types: []string{audit.AuditTruncated}})
	if len(evs) != 1 || evs[0].Detail["count"] != "2500" || evs[0].ActorKind != store.ActorSystem {
		t.Fatalf("truncation events = %+v", evs)
	}
	if r, _ := audit.Verify(t.Context(), st, long.ID); r.Events != 2510 || r.Broken != nil {
		t.Fatalf("long tenant lost events: %+v", r)
	}
	if w := s.SweepOnce(t.Context()); w.AuditEvents != 0 {
		t.Fatalf("second sweep deleted %d", w.AuditEvents)
	}
}
