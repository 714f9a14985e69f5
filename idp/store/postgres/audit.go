package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const auditCols = `tenant_id, id, type, user_id, client_id, session_id, ip, user_agent, detail, created_at`

// defaultAuditLimit is ListAuditEvents' limit when the query sets none.
const defaultAuditLimit = 100

func scanAudit(r pgx.Row) (*store.AuditEvent, error) {
	var e store.AuditEvent
	var detail []byte
	err := r.Scan(&e.TenantID, &e.ID, &e.Type, &e.UserID, &e.ClientID, &e.SessionID, &e.IP, &e.UserAgent,
		&detail, &e.CreatedAt)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(detail, &e.Detail); err != nil {
		return nil, fmt.Errorf("audit detail: %w", err)
	}
	if len(e.Detail) == 0 {
		e.Detail = nil
	}
	return &e, nil
}

// AppendAuditEvent inserts e, filling an empty ID.
func (s *Store) AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error {
	if e.ID == "" {
		e.ID = store.NewID()
	}
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return mapErr("AppendAuditEvent", err)
		}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_events (`+auditCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.TenantID, e.ID, e.Type, e.UserID, e.ClientID, e.SessionID, e.IP, e.UserAgent, detail, e.CreatedAt)
	return mapErr("AppendAuditEvent", err)
}

// ListAuditEvents returns matching events newest first (events of one
// instant newest-appended first). The query is assembled from constant
// fragments, so each filter combination gets its own cached statement and
// plan; every value is a parameter.
func (s *Store) ListAuditEvents(ctx context.Context, tenantID string, q store.AuditQuery) ([]*store.AuditEvent, error) {
	query := `SELECT ` + auditCols + ` FROM audit_events WHERE tenant_id = $1`
	args := []any{tenantID}
	if q.UserID != "" {
		args = append(args, q.UserID)
		query += fmt.Sprintf(` AND user_id = $%d`, len(args))
	}
	if q.Type != "" {
		args = append(args, q.Type)
		query += fmt.Sprintf(` AND type = $%d`, len(args))
	}
	if !q.Since.IsZero() {
		args = append(args, q.Since)
		query += fmt.Sprintf(` AND created_at >= $%d`, len(args))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	args = append(args, limit)
	query += fmt.Sprintf(` ORDER BY created_at DESC, seq DESC LIMIT $%d`, len(args))

	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, mapErr("ListAuditEvents", err)
	}
	l, err := collect(rows, scanAudit)
	return l, mapErr("ListAuditEvents", err)
}
