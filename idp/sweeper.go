package idp

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// SweepInterval is how often Sweep runs by default.
const SweepInterval = 5 * time.Minute

// auditTruncateBatch bounds one retention delete: a large backlog goes in
// many short transactions, never one that holds the tenant's chain long.
const auditTruncateBatch = 1000

// Sweep runs the housekeeping every interval until ctx ends. Every replica
// may run it: each step is a conditional delete in the database.
func (s *Server) Sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.SweepOnce(ctx)
	}
}

// Swept is what one sweep removed.
type Swept struct {
	AuthRequests, Tokens, FederationStates, Other int64
	AuditEvents, AuditExportFiles                 int
}

// SweepOnce removes expired authorization requests, tokens and federation
// states, stale counters and rows, audit events older than their tenant's
// retention, and expired audit export files. An error is logged and the
// other steps still run.
func (s *Server) SweepOnce(ctx context.Context) Swept {
	var w Swept
	now := s.clock()
	cutoff := now.Add(-time.Hour)
	var err1, err2, err3, err4, err5, err6, err7 error
	w.AuthRequests, err1 = s.store.DeleteExpiredAuthRequests(ctx, cutoff)
	w.Tokens, err2 = s.store.DeleteExpiredTokens(ctx, cutoff)
	w.FederationStates, err3 = s.store.DeleteExpiredFederationStates(ctx, cutoff) // federation round trips
	// Failure counters outlive the longest window or lock a tenant may set (24 h).
	_, err4 = s.store.DeleteStaleLoginFailures(ctx, now.Add(-25*time.Hour))
	// Sessions, links, OTP challenges, send records and factor failures:
	// 25 h is past the longest window any rule counts over (a day of sends).
	w.Other, err5 = s.store.DeleteStaleRows(ctx, now.Add(-25*time.Hour))
	w.AuditEvents, err6 = s.sweepAudit(ctx, now)
	w.AuditExportFiles, err7 = s.store.ExpireAuditExports(ctx, now)
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7); err != nil {
		s.log.Error("sweep", "err", err)
	}
	if w != (Swept{}) {
		s.log.Info("swept", "auth_requests", w.AuthRequests, "tokens", w.Tokens, "federation_states", w.FederationStates,
			"other", w.Other, "audit_events", w.AuditEvents, "audit_export_files", w.AuditExportFiles)
	}
	return w
}

// sweepAudit deletes each tenant's audit events older than its retention,
// in batches, and records how many went as an event of the chain itself.
func (s *Server) sweepAudit(ctx context.Context, now time.Time) (int, error) {
	tenants, err := s.store.ListTenants(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	var errs []error
	for _, t := range tenants {
		before := now.Add(-t.Settings.AuditRetention())
		n := 0
		for ctx.Err() == nil {
			k, err := s.store.TruncateAuditEvents(ctx, t.ID, before, auditTruncateBatch)
			if err != nil {
				errs = append(errs, err)
				break
			}
			n += k
			if k < auditTruncateBatch {
				break
			}
		}
		if n > 0 {
			total += n
			s.metrics.auditDeleted.Add(float64(n))
			s.audit(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.AuditTruncated, ActorKind: store.ActorSystem,
				Detail: map[string]string{"count": strconv.Itoa(n), "before": before.UTC().Format(time.RFC3339)}})
		}
	}
	return total, errors.Join(errs...)
}
