package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const exportCols = `tenant_id, id, actor_kind, actor_id, format, since, until, stored, status, rows, bytes, sha256,
	error, created_at, finished_at, expires_at`

func scanExport(r pgx.Row) (*store.AuditExport, error) {
	var x store.AuditExport
	err := r.Scan(&x.TenantID, &x.ID, &x.ActorKind, &x.ActorID, &x.Format, &x.Since, &x.Until, &x.Stored, &x.Status,
		&x.Rows, &x.Bytes, &x.SHA256, &x.Error, &x.CreatedAt, &x.FinishedAt, &x.ExpiresAt)
	if err != nil {
		return nil, err
	}
	x.Since, x.Until, x.CreatedAt, x.ExpiresAt = x.Since.UTC(), x.Until.UTC(), x.CreatedAt.UTC(), x.ExpiresAt.UTC()
	if x.FinishedAt != nil {
		f := x.FinishedAt.UTC()
		x.FinishedAt = &f
	}
	return &x, nil
}

// CreateAuditExport inserts x, filling an empty ID.
func (s *Store) CreateAuditExport(ctx context.Context, x *store.AuditExport) error {
	if x.ID == "" {
		x.ID = store.NewID()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_exports (`+exportCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		x.TenantID, x.ID, x.ActorKind, x.ActorID, x.Format, x.Since, x.Until, x.Stored, x.Status, x.Rows, x.Bytes,
		x.SHA256, x.Error, x.CreatedAt, x.FinishedAt, x.ExpiresAt)
	return mapErr("CreateAuditExport", err)
}

// ProgressAuditExport records the rows a running export wrote so far.
func (s *Store) ProgressAuditExport(ctx context.Context, tenantID, id string, rows int64) error {
	tag, err := s.pool.Exec(ctx, `UPDATE audit_exports SET rows = $3 WHERE tenant_id = $1 AND id = $2 AND status = 'running'`,
		tenantID, id, rows)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return mapErr("ProgressAuditExport", err)
}

// FinishAuditExport records a running export's outcome.
func (s *Store) FinishAuditExport(ctx context.Context, x *store.AuditExport) error {
	tag, err := s.pool.Exec(ctx, `UPDATE audit_exports SET status = $3, rows = $4, bytes = $5, sha256 = $6, error = $7,
		finished_at = $8 WHERE tenant_id = $1 AND id = $2 AND status = 'running'`,
		x.TenantID, x.ID, x.Status, x.Rows, x.Bytes, x.SHA256, x.Error, x.FinishedAt)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return mapErr("FinishAuditExport", err)
}

// AuditExportByID returns one export of the tenant.
func (s *Store) AuditExportByID(ctx context.Context, tenantID, id string) (*store.AuditExport, error) {
	x, err := scanExport(s.pool.QueryRow(ctx, `SELECT `+exportCols+` FROM audit_exports WHERE tenant_id = $1 AND id = $2`,
		tenantID, id))
	return x, mapErr("AuditExportByID", err)
}

// ListAuditExports returns the tenant's exports, newest first.
func (s *Store) ListAuditExports(ctx context.Context, tenantID string, limit int) ([]*store.AuditExport, error) {
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	rows, err := s.pool.Query(ctx, `SELECT `+exportCols+` FROM audit_exports WHERE tenant_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, mapErr("ListAuditExports", err)
	}
	l, err := collect(rows, scanExport)
	return l, mapErr("ListAuditExports", err)
}

// AppendAuditExportChunk stores chunk n of a running, stored export.
func (s *Store) AppendAuditExportChunk(ctx context.Context, tenantID, id string, n int, data []byte) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO audit_export_chunks (tenant_id, export_id, n, data)
		SELECT tenant_id, id, $3, $4 FROM audit_exports
		WHERE tenant_id = $1 AND id = $2 AND status = 'running' AND stored`, tenantID, id, n, data)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return mapErr("AppendAuditExportChunk", err)
}

// ReadAuditExport streams a ready export's chunks in order, one query per
// chunk, so memory holds one chunk whatever the file's size.
func (s *Store) ReadAuditExport(ctx context.Context, tenantID, id string, fn func([]byte) error) error {
	x, err := s.AuditExportByID(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if x.Status != store.ExportReady || !x.Stored {
		return mapErr("ReadAuditExport", pgx.ErrNoRows)
	}
	for n := 0; ; n++ {
		var data []byte
		err := s.pool.QueryRow(ctx, `SELECT data FROM audit_export_chunks WHERE tenant_id = $1 AND export_id = $2 AND n = $3`,
			tenantID, id, n).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return mapErr("ReadAuditExport", err)
		}
		if err := fn(data); err != nil {
			return err
		}
	}
}

// ExpireAuditExports deletes the files of expired exports, keeping their history.
func (s *Store) ExpireAuditExports(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM audit_export_chunks c USING audit_exports x
			WHERE c.tenant_id = x.tenant_id AND c.export_id = x.id AND x.stored AND x.status <> 'expired'
			AND x.expires_at <= $1`, now); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE audit_exports SET status = 'expired'
			WHERE stored AND status <> 'expired' AND expires_at <= $1`, now)
		n = int(tag.RowsAffected())
		return err
	})
	return n, mapErr("ExpireAuditExports", err)
}
