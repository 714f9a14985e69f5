package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const exportCols = `tenant_id, id, actor_kind, actor_id, format, since, until, stored, status, rows, bytes, sha256,
	error, created_at, finished_at, expires_at`

func scanExport(r rowScanner) (*store.AuditExport, error) {
	var x store.AuditExport
	err := r.Scan(&x.TenantID, &x.ID, &x.ActorKind, &x.ActorID, &x.Format, timeCol{&x.Since}, timeCol{&x.Until},
		&x.Stored, &x.Status, &x.Rows, &x.Bytes, &x.SHA256, &x.Error, timeCol{&x.CreatedAt}, timePtrCol{&x.FinishedAt},
		timeCol{&x.ExpiresAt})
	if err != nil {
		return nil, err
	}
	return &x, nil
}

// CreateAuditExport inserts x, filling an empty ID.
func (s *Store) CreateAuditExport(ctx context.Context, x *store.AuditExport) error {
	if x.ID == "" {
		x.ID = store.NewID()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit_exports (`+exportCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.TenantID, x.ID, x.ActorKind, x.ActorID, x.Format, micros(x.Since), micros(x.Until), x.Stored, x.Status,
		x.Rows, x.Bytes, x.SHA256, x.Error, micros(x.CreatedAt), microsPtr(x.FinishedAt), micros(x.ExpiresAt))
	return mapErr("CreateAuditExport", err)
}

// affected turns "no row changed" into sql.ErrNoRows.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// ProgressAuditExport records the rows a running export wrote so far.
func (s *Store) ProgressAuditExport(ctx context.Context, tenantID, id string, rows int64) error {
	return mapErr("ProgressAuditExport", affected(s.w.ExecContext(ctx,
		`UPDATE audit_exports SET rows = ? WHERE tenant_id = ? AND id = ? AND status = 'running'`, rows, tenantID, id)))
}

// FinishAuditExport records a running export's outcome.
func (s *Store) FinishAuditExport(ctx context.Context, x *store.AuditExport) error {
	return mapErr("FinishAuditExport", affected(s.w.ExecContext(ctx, `UPDATE audit_exports
		SET status = ?, rows = ?, bytes = ?, sha256 = ?, error = ?, finished_at = ?
		WHERE tenant_id = ? AND id = ? AND status = 'running'`,
		x.Status, x.Rows, x.Bytes, x.SHA256, x.Error, microsPtr(x.FinishedAt), x.TenantID, x.ID)))
}

// AuditExportByID returns one export of the tenant.
func (s *Store) AuditExportByID(ctx context.Context, tenantID, id string) (*store.AuditExport, error) {
	x, err := scanExport(s.r.QueryRowContext(ctx, `SELECT `+exportCols+` FROM audit_exports WHERE tenant_id = ? AND id = ?`,
		tenantID, id))
	return x, mapErr("AuditExportByID", err)
}

// ListAuditExports returns the tenant's exports, newest first.
func (s *Store) ListAuditExports(ctx context.Context, tenantID string, limit int) ([]*store.AuditExport, error) {
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+exportCols+` FROM audit_exports WHERE tenant_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, tenantID, limit)
	if err != nil {
		return nil, mapErr("ListAuditExports", err)
	}
	l, err := collect(rows, scanExport)
	return l, mapErr("ListAuditExports", err)
}

// AppendAuditExportChunk stores chunk n of a running, stored export.
func (s *Store) AppendAuditExportChunk(ctx context.Context, tenantID, id string, n int, data []byte) error {
	return mapErr("AppendAuditExportChunk", affected(s.w.ExecContext(ctx, `INSERT INTO audit_export_chunks
		(tenant_id, export_id, n, data) SELECT tenant_id, id, ?, ? FROM audit_exports
		WHERE tenant_id = ? AND id = ? AND status = 'running' AND stored`, n, data, tenantID, id)))
}

// ReadAuditExport streams a ready export's chunks in order, one query per
// chunk, so memory holds one chunk whatever the file's size.
func (s *Store) ReadAuditExport(ctx context.Context, tenantID, id string, fn func([]byte) error) error {
	x, err := s.AuditExportByID(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if x.Status != store.ExportReady || !x.Stored {
		return mapErr("ReadAuditExport", sql.ErrNoRows)
	}
	for n := 0; ; n++ {
		var data []byte
		err := s.r.QueryRowContext(ctx, `SELECT data FROM audit_export_chunks WHERE tenant_id = ? AND export_id = ? AND n = ?`,
			tenantID, id, n).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_export_chunks WHERE (tenant_id, export_id) IN (
			SELECT tenant_id, id FROM audit_exports WHERE stored AND status <> 'expired' AND expires_at <= ?)`,
			micros(now)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE audit_exports SET status = 'expired'
			WHERE stored AND status <> 'expired' AND expires_at <= ?`, micros(now))
		if err != nil {
			return err
		}
		m, err := res.RowsAffected()
		n = int(m)
		return err
	})
	return n, mapErr("ExpireAuditExports", err)
}
