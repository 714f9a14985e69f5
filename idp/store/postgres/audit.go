package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const auditCols = `tenant_id, id, chain_seq, type, outcome, actor_kind, actor_id, user_id, client_id, session_id,
	ip, user_agent, location, request_id, detail, created_at, prev_hash, hash`

// defaultAuditLimit is ListAuditEvents' limit when the query sets none.
const defaultAuditLimit = 100

func scanAudit(r pgx.Row) (*store.AuditEvent, error) {
	var e store.AuditEvent
	var detail []byte
	err := r.Scan(&e.TenantID, &e.ID, &e.Seq, &e.Type, &e.Outcome, &e.ActorKind, &e.ActorID, &e.UserID, &e.ClientID,
		&e.SessionID, &e.IP, &e.UserAgent, &e.Location, &e.RequestID, &detail, &e.CreatedAt, &e.PrevHash, &e.Hash)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(detail, &e.Detail); err != nil {
		return nil, fmt.Errorf("audit detail: %w", err)
	}
	if len(e.Detail) == 0 {
		e.Detail = nil
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return &e, nil
}

// AppendAuditEvent stores e as the tenant's next event. The tenant's
// audit_chains row is locked by the first statement of the transaction
// (UPDATE ... RETURNING), so appends of one tenant queue behind each other
// in the database whichever replica sends them; the row is created on the
// tenant's first event.
func (s *Store) AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error {
	if e.ID == "" {
		e.ID = store.NewID()
	}
	e.CreatedAt = e.CreatedAt.Truncate(time.Microsecond).UTC()
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return mapErr("AppendAuditEvent", err)
		}
	}
	err := s.write(ctx, func(tx pgx.Tx) error {
		var prev []byte
		err := tx.QueryRow(ctx, `UPDATE audit_chains SET last_seq = last_seq + 1 WHERE tenant_id = $1
			RETURNING last_seq, last_hash`, e.TenantID).Scan(&e.Seq, &prev)
		if errors.Is(err, pgx.ErrNoRows) {
			// The tenant's first event: create its chain, then lock it. A
			// concurrent first append creates it too; ON CONFLICT lets both
			// go on to the UPDATE, which queues them.
			if _, err := tx.Exec(ctx, `INSERT INTO audit_chains (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING`,
				e.TenantID); err != nil {
				return err
			}
			err = tx.QueryRow(ctx, `UPDATE audit_chains SET last_seq = last_seq + 1 WHERE tenant_id = $1
				RETURNING last_seq, last_hash`, e.TenantID).Scan(&e.Seq, &prev)
		}
		if err != nil {
			return err
		}
		e.PrevHash = prev
		e.Hash = store.AuditHash(prev, e)
		_, err = tx.Exec(ctx, `WITH ev AS (
				INSERT INTO audit_events (`+auditCols+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18))
			UPDATE audit_chains SET last_hash = $18 WHERE tenant_id = $1`,
			e.TenantID, e.ID, e.Seq, e.Type, e.Outcome, e.ActorKind, e.ActorID, e.UserID, e.ClientID, e.SessionID,
			e.IP, e.UserAgent, e.Location, e.RequestID, detail, e.CreatedAt, e.PrevHash, e.Hash)
		return err
	})
	if err != nil {
		e.Seq, e.PrevHash, e.Hash = 0, nil, nil
	}
	return mapErr("AppendAuditEvent", err)
}

// ListAuditEvents returns matching events newest first, or oldest
// first with q.Oldest. The query is assembled from constant fragments, so each
// filter combination gets its own cached statement and plan; every value is
// a parameter.
func (s *Store) ListAuditEvents(ctx context.Context, tenantID string, q store.AuditQuery) ([]*store.AuditEvent, error) {
	query := `SELECT ` + auditCols + ` FROM audit_events WHERE tenant_id = $1`
	args := []any{tenantID}
	cond := func(frag string, v any) {
		args = append(args, v)
		query += fmt.Sprintf(frag, len(args))
	}
	if q.UserID != "" {
		cond(` AND user_id = $%d`, q.UserID)
	}
	if len(q.Types) > 0 {
		cond(` AND type = ANY($%d)`, q.Types)
	}
	if !q.Since.IsZero() {
		cond(` AND created_at >= $%d`, q.Since)
	}
	if !q.Until.IsZero() {
		cond(` AND created_at < $%d`, q.Until)
	}
	if q.Before > 0 {
		cond(` AND chain_seq < $%d`, q.Before)
	}
	order := ` ORDER BY chain_seq DESC`
	if q.Oldest {
		order = ` ORDER BY chain_seq`
	}
	if q.After > 0 {
		cond(` AND chain_seq > $%d`, q.After)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	query += order
	cond(` LIMIT $%d`, limit)

	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, mapErr("ListAuditEvents", err)
	}
	l, err := collect(rows, scanAudit)
	return l, mapErr("ListAuditEvents", err)
}

// AuditChain returns the tenant's chain bookkeeping (zero without events).
func (s *Store) AuditChain(ctx context.Context, tenantID string) (store.AuditChain, error) {
	var c store.AuditChain
	err := s.pool.QueryRow(ctx, `SELECT last_seq, last_hash, anchor_seq, anchor_hash FROM audit_chains
		WHERE tenant_id = $1`, tenantID).Scan(&c.LastSeq, &c.LastHash, &c.AnchorSeq, &c.AnchorHash)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AuditChain{}, nil
	}
	return c, mapErr("AuditChain", err)
}

// TruncateAuditEvents deletes the oldest events created before before, at
// most limit, in one transaction that holds the chain row (so no append
// interleaves), and moves the anchor to the last one deleted.
func (s *Store) TruncateAuditEvents(ctx context.Context, tenantID string, before time.Time, limit int) (int, error) {
	n := 0
	err := s.write(ctx, func(tx pgx.Tx) error {
		var anchor int64
		err := tx.QueryRow(ctx, `SELECT anchor_seq FROM audit_chains WHERE tenant_id = $1 FOR UPDATE`,
			tenantID).Scan(&anchor)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // no events
		}
		if err != nil {
			return err
		}
		// The prefix of the chain older than before: the events after the
		// anchor up to (not including) the first that is not old enough.
		rows, err := tx.Query(ctx, `SELECT chain_seq, hash, created_at FROM audit_events
			WHERE tenant_id = $1 AND chain_seq > $2 ORDER BY chain_seq LIMIT $3`, tenantID, anchor, limit)
		if err != nil {
			return err
		}
		var last int64
		var hash []byte
		for rows.Next() {
			var seq int64
			var h []byte
			var at time.Time
			if err := rows.Scan(&seq, &h, &at); err != nil {
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
		tag, err := tx.Exec(ctx, `DELETE FROM audit_events WHERE tenant_id = $1 AND chain_seq > $2 AND chain_seq <= $3`,
			tenantID, anchor, last)
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		_, err = tx.Exec(ctx, `UPDATE audit_chains SET anchor_seq = $2, anchor_hash = $3 WHERE tenant_id = $1`,
			tenantID, last, hash)
		return err
	})
	if err != nil {
		return 0, mapErr("TruncateAuditEvents", err)
	}
	return n, nil
}
