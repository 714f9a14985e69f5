package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// ExportStore is what Exports needs of the store.
type ExportStore interface {
	Lister
	CreateAuditExport(ctx context.Context, x *store.AuditExport) error
	ProgressAuditExport(ctx context.Context, tenantID, id string, rows int64) error
	FinishAuditExport(ctx context.Context, x *store.AuditExport) error
	AuditExportByID(ctx context.Context, tenantID, id string) (*store.AuditExport, error)
	AppendAuditExportChunk(ctx context.Context, tenantID, id string, n int, data []byte) error
	ReadAuditExport(ctx context.Context, tenantID, id string, fn func(chunk []byte) error) error
}

// Actor is who acts: a user, a client or the CLI (store.Actor* kinds).
type Actor struct {
	Kind string `json:"kind"`
	ID   string `json:"id,omitempty"`
}

// DefaultExportLifetime is how long a stored export file is kept.
const DefaultExportLifetime = 7 * 24 * time.Hour

// exportChunk is the size of the pieces a stored export is kept in.
const exportChunk = 1 << 20

// progressEvery bounds how often a running export writes its row count.
const progressEvery = time.Second

// Exports runs exports of a tenant's audit log and keeps their history:
// every export, to a local file from the CLI or stored for download from
// the API, is a row saying who asked, when, for which period and format,
// how many rows and the file's SHA-256, and an AuditExported event.
type Exports struct {
	Store    ExportStore
	Recorder *Recorder
	Clock    func() time.Time
	Log      *slog.Logger
	// Lifetime of a stored file (0: DefaultExportLifetime).
	Lifetime time.Duration
	// Ready, when set, is told that a background export finished (ready or
	// failed), to notify whoever asked; it carries no data.
	Ready func(ctx context.Context, x *store.AuditExport)

	wg sync.WaitGroup
}

func (e *Exports) begin(ctx context.Context, tenantID string, who Actor, p Period, format string, stored bool) (*store.AuditExport, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	if !ValidFormat(format) {
		return nil, fmt.Errorf("unknown export format %q (jsonl or csv)", format)
	}
	life := e.Lifetime
	if life <= 0 {
		life = DefaultExportLifetime
	}
	now := e.Clock().UTC()
	x := &store.AuditExport{TenantID: tenantID, ActorKind: who.Kind, ActorID: who.ID, Format: format,
		Since: p.Since.UTC().Truncate(time.Microsecond), Until: p.Until.UTC().Truncate(time.Microsecond),
		Stored: stored, Status: store.ExportRunning, CreatedAt: now, ExpiresAt: now.Add(life)}
	if err := e.Store.CreateAuditExport(ctx, x); err != nil {
		return nil, err
	}
	return x, nil
}

// Write exports the period to w (the CLI's file or standard output) and
// records the export in the history; the file itself is not kept.
func (e *Exports) Write(ctx context.Context, tenantID string, who Actor, p Period, format string, w io.Writer,
	progress func(rows int64)) (*store.AuditExport, error) {
	x, err := e.begin(ctx, tenantID, who, p, format, false)
	if err != nil {
		return nil, err
	}
	out, err := Export(ctx, e.Store, tenantID, p, format, w, e.progress(ctx, x, progress))
	return x, e.finish(context.WithoutCancel(ctx), x, out, err)
}

// Start begins a stored export in the background and returns its record at
// once (status running); Status tells how far it got, Download serves the
// file once it is ready, and Ready is called when it ends.
func (e *Exports) Start(ctx context.Context, tenantID string, who Actor, p Period, format string) (*store.AuditExport, error) {
	x, err := e.begin(ctx, tenantID, who, p, format, true)
	if err != nil {
		return nil, err
	}
	job := *x
	ctx = context.WithoutCancel(ctx) // the request that asked returns now
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		cw := &chunkWriter{ctx: ctx, st: e.Store, x: &job}
		out, err := Export(ctx, e.Store, job.TenantID, p, job.Format, cw, e.progress(ctx, &job, nil))
		if err == nil {
			err = cw.flush()
		}
		if err := e.finish(ctx, &job, out, err); err != nil {
			e.Log.Error("audit export: cannot record the outcome", "tenant_id", job.TenantID, "export", job.ID, "err", err)
		}
		if e.Ready != nil {
			e.Ready(ctx, &job)
		}
	}()
	return x, nil
}

// Wait blocks until background exports have finished.
func (e *Exports) Wait() { e.wg.Wait() }

// Status returns an export of the tenant (ErrNotFound for another tenant's).
func (e *Exports) Status(ctx context.Context, tenantID, id string) (*store.AuditExport, error) {
	return e.Store.AuditExportByID(ctx, tenantID, id)
}

// Download writes a ready export's file to w, chunk by chunk.
func (e *Exports) Download(ctx context.Context, tenantID, id string, w io.Writer) error {
	return e.Store.ReadAuditExport(ctx, tenantID, id, func(c []byte) error {
		_, err := w.Write(c)
		return err
	})
}

// progress returns the callback Export calls after each page: it passes the
// count on and writes it to the history at most once a second.
func (e *Exports) progress(ctx context.Context, x *store.AuditExport, next func(int64)) func(int64) {
	var last time.Time
	return func(rows int64) {
		if next != nil {
			next(rows)
		}
		if now := e.Clock(); now.Sub(last) >= progressEvery {
			last = now
			if err := e.Store.ProgressAuditExport(ctx, x.TenantID, x.ID, rows); err != nil {
				e.Log.Warn("audit export: progress not recorded", "tenant_id", x.TenantID, "export", x.ID, "err", err)
			}
		}
	}
}

// finish records the outcome in the history and as an event, and returns
// the export's error (or the error recording it).
func (e *Exports) finish(ctx context.Context, x *store.AuditExport, out Exported, failed error) error {
	now := e.Clock().UTC()
	x.Rows, x.Bytes, x.SHA256, x.FinishedAt = out.Rows, out.Bytes, out.SHA256, &now
	ev := &store.AuditEvent{TenantID: x.TenantID, ActorKind: x.ActorKind, ActorID: x.ActorID,
		Detail: map[string]string{"export": x.ID, "format": x.Format, "since": x.Since.Format(time.RFC3339),
			"until": x.Until.Format(time.RFC3339)}}
	if x.ActorKind == store.ActorUser {
		ev.UserID = x.ActorID
	}
	if failed != nil {
		x.Status, x.Error = store.ExportFailed, "the export could not be completed"
		if errors.Is(failed, context.Canceled) {
			x.Error = "the export was interrupted"
		}
		ev.Type, ev.Outcome = AuditExportFailed, store.AuditFailure
		e.Log.Error("audit export failed", "tenant_id", x.TenantID, "export", x.ID, "rows", out.Rows, "err", failed)
	} else {
		x.Status = store.ExportReady
		ev.Type, ev.Outcome = AuditExported, store.AuditSuccess
		ev.Detail["rows"], ev.Detail["sha256"] = strconv.FormatInt(out.Rows, 10), out.SHA256
	}
	err := e.Store.FinishAuditExport(ctx, x)
	e.Recorder.Record(ctx, ev)
	return errors.Join(failed, err)
}

// chunkWriter keeps a stored export's file in the database, one chunk of
// exportChunk bytes at a time.
type chunkWriter struct {
	ctx context.Context
	st  ExportStore
	x   *store.AuditExport
	buf []byte
	n   int
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	written := len(p)
	for len(p) > 0 {
		take := min(exportChunk-len(c.buf), len(p))
		c.buf = append(c.buf, p[:take]...)
		p = p[take:]
		if len(c.buf) == exportChunk {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return written, nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	if err := c.st.AppendAuditExportChunk(c.ctx, c.x.TenantID, c.x.ID, c.n, c.buf); err != nil {
		return err
	}
	c.n++
	c.buf = c.buf[:0]
	return nil
}
