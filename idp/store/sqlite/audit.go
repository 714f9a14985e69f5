package sqlite

import (
	"context"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const auditCols = `tenant_id, id, type, user_id, client_id, session_id, ip, user_agent, detail, created_at`

// defaultAuditLimit is ListAuditEvents' limit when the query sets none.
const defaultAuditLimit = 100

func scanAudit(r rowScanner) (*store.AuditEvent, error) {
	var e store.AuditEvent
	err := r.Scan(&e.TenantID, &e.ID, &e.Type, &e.UserID, &e.ClientID, &e.SessionID, &e.IP, &e.UserAgent,
		mapCol{&e.Detail}, timeCol{&e.CreatedAt})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// AppendAuditEvent inserts e, filling an empty ID.
func (s *Store) AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error {
	if e.ID == "" {
		e.ID = store.NewID()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit_events (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.TenantID, e.ID, e.Type, e.UserID, e.ClientID, e.SessionID, e.IP, e.UserAgent,
		mapJSON(e.Detail), micros(e.CreatedAt))
	return mapErr("AppendAuditEvent", err)
}

// ListAuditEvents returns matching events newest first (events of one
// instant newest-appended first). The query is assembled from constant
// fragments; every value is a parameter.
func (s *Store) ListAuditEvents(ctx context.Context, tenantID string, q store.AuditQuery) ([]*store.AuditEvent, error) {
	query := `SELECT ` + auditCols + ` FROM audit_events WHERE tenant_id = ?`
	args := []any{tenantID}
	if q.UserID != "" {
		query += ` AND user_id = ?`
		args = append(args, q.UserID)
	}
	if q.Type != "" {
		query += ` AND type = ?`
		args = append(args, q.Type)
	}
	if !q.Since.IsZero() {
		query += ` AND created_at >= ?`
		args = append(args, micros(q.Since))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	query += ` ORDER BY created_at DESC, seq DESC LIMIT ?`
	args = append(args, limit)

	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("ListAuditEvents", err)
	}
	list, err := collect(rows, scanAudit)
	return list, mapErr("ListAuditEvents", err)
}
