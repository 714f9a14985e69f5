package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const auditCols = `tenant_id, id, chain_seq, type, outcome, actor_kind, actor_id, user_id, client_id, session_id,
	ip, user_agent, location, request_id, detail, created_at, prev_hash, hash`

// defaultAuditLimit is ListAuditEvents' limit when the query sets none.
const defaultAuditLimit = 100

func scanAudit(r rowScanner) (*store.AuditEvent, error) {
	var e store.AuditEvent
	err := r.Scan(&e.TenantID, &e.ID, &e.Seq, &e.Type, &e.Outcome, &e.ActorKind, &e.ActorID, &e.UserID, &e.ClientID,
		&e.SessionID, &e.IP, &e.UserAgent, &e.Location, &e.RequestID, mapCol{&e.Detail}, timeCol{&e.CreatedAt},
		&e.PrevHash, &e.Hash)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// AppendAuditEvent stores e as the tenant's next event, reading and moving
// the chain head inside the writer's BEGIN IMMEDIATE transaction (one writer
// at a time: SQLite serves one process).
func (s *Store) AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error {
	if e.ID == "" {
		e.ID = store.NewID()
	}
	e.CreatedAt = e.CreatedAt.Truncate(time.Microsecond).UTC()
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_chains (tenant_id) VALUES (?) ON CONFLICT DO NOTHING`,
			e.TenantID); err != nil {
			return err
		}
		var prev []byte
		if err := tx.QueryRowContext(ctx, `UPDATE audit_chains SET last_seq = last_seq + 1 WHERE tenant_id = ?
			RETURNING last_seq, last_hash`, e.TenantID).Scan(&e.Seq, &prev); err != nil {
			return err
		}
		e.PrevHash = prev
		e.Hash = store.AuditHash(prev, e)
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events (`+auditCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.TenantID, e.ID, e.Seq, e.Type, e.Outcome, e.ActorKind, e.ActorID, e.UserID, e.ClientID, e.SessionID,
			e.IP, e.UserAgent, e.Location, e.RequestID, mapJSON(e.Detail), micros(e.CreatedAt), e.PrevHash, e.Hash); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE audit_chains SET last_hash = ? WHERE tenant_id = ?`, e.Hash, e.TenantID)
		return err
	})
	if err != nil {
		e.Seq, e.PrevHash, e.Hash = 0, nil, nil
	}
	return mapErr("AppendAuditEvent", err)
}

// ListAuditEvents returns matching events newest first, or oldest first
// with q.Oldest. The query is assembled from constant fragments; every value
// is a parameter.
func (s *Store) ListAuditEvents(ctx context.Context, tenantID string, q store.AuditQuery) ([]*store.AuditEvent, error) {
	query := `SELECT ` + auditCols + ` FROM audit_events WHERE tenant_id = ?`
	args := []any{tenantID}
	if q.UserID != "" {
		query += ` AND user_id = ?`
		args = append(args, q.UserID)
	}
	if len(q.Types) > 0 {
		query += ` AND type IN (SELECT value FROM json_each(?))`
		args = append(args, listJSON(q.Types))
	}
	if !q.Since.IsZero() {
		query += ` AND created_at >= ?`
		args = append(args, micros(q.Since))
	}
	if !q.Until.IsZero() {
		query += ` AND created_at < ?`
		args = append(args, micros(q.Until))
	}
	if q.Before > 0 {
		query += ` AND chain_seq < ?`
		args = append(args, q.Before)
	}
	if q.After > 0 {
		query += ` AND chain_seq > ?`
		args = append(args, q.After)
	}
	if q.Oldest {
		query += ` ORDER BY chain_seq`
	} else {
		query += ` ORDER BY chain_seq DESC`
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	query += ` LIMIT ?`
	args = append(args, limit)

	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("ListAuditEvents", err)
	}
	list, err := collect(rows, scanAudit)
	return list, mapErr("ListAuditEvents", err)
}

// AuditChain returns the tenant's chain bookkeeping (zero without events).
func (s *Store) AuditChain(ctx context.Context, tenantID string) (store.AuditChain, error) {
	var c store.AuditChain
	err := s.r.QueryRowContext(ctx, `SELECT last_seq, last_hash, anchor_seq, anchor_hash FROM audit_chains
		WHERE tenant_id = ?`, tenantID).Scan(&c.LastSeq, &c.LastHash, &c.AnchorSeq, &c.AnchorHash)
	if errors.Is(err, sql.ErrNoRows) {
		return store.AuditChain{}, nil
	}
	return c, mapErr("AuditChain", err)
}

// TruncateAuditEvents deletes the oldest events created before before, at
// most limit, and moves the anchor to the last one deleted, in one writer
// transaction.
func (s *Store) TruncateAuditEvents(ctx context.Context, tenantID string, before time.Time, limit int) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *sql.Tx) error {
		var anchor int64
		err := tx.QueryRowContext(ctx, `SELECT anchor_seq FROM audit_chains WHERE tenant_id = ?`, tenantID).Scan(&anchor)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // no events
		}
		if err != nil {
			return err
		}
		// The prefix of the chain older than before: the events after the
		// anchor up to (not including) the first that is not old enough.
		rows, err := tx.QueryContext(ctx, `SELECT chain_seq, hash, created_at FROM audit_events
			WHERE tenant_id = ? AND chain_seq > ? ORDER BY chain_seq LIMIT ?`, tenantID, anchor, limit)
		if err != nil {
			return err
		}
		var last int64
		var hash []byte
		for rows.Next() {
			var seq int64
			var h []byte
			var at time.Time
			if err := rows.Scan(&seq, &h, timeCol{&at}); err != nil {
				rows.Close()
				return err
			}
			if !at.Before(before) {
				break
			}
			last, hash = seq, h
		}
		rows.Close()
		if err := rows.Err(); err != nil || last == 0 {
			return err // nothing old enough, or the error
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM audit_events WHERE tenant_id = ? AND chain_seq > ? AND chain_seq <= ?`,
			tenantID, anchor, last)
		if err != nil {
			return err
		}
		deleted, err := res.RowsAffected()
		if err != nil {
			return err
		}
		n = int(deleted)
		_, err = tx.ExecContext(ctx, `UPDATE audit_chains SET anchor_seq = ?, anchor_hash = ? WHERE tenant_id = ?`,
			last, hash, tenantID)
		return err
	})
	if err != nil {
		return 0, mapErr("TruncateAuditEvents", err)
	}
	return n, nil
}
