package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func testAuditExports(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	other := mkTenant(t, s, "beta")
	mk := func(tenantID string, stored bool, at time.Time) *store.AuditExport {
		t.Helper()
		x := &store.AuditExport{TenantID: tenantID, ActorKind: store.ActorUser, ActorID: "owner-1", Format: "jsonl",
			Since: t0.Add(-24 * time.Hour), Until: t0, Stored: stored, Status: store.ExportRunning, CreatedAt: at,
			ExpiresAt: at.Add(7 * 24 * time.Hour)}
		wantErr(t, "CreateAuditExport", s.CreateAuditExport(ctx(t), x), nil)
		if x.ID == "" {
			t.Fatal("CreateAuditExport did not fill an empty ID")
		}
		return x
	}
	a := mk(tn.ID, true, t0)
	b := mk(tn.ID, false, t0.Add(time.Minute)) // a CLI export to a local file: history only
	foreign := mk(other.ID, true, t0)

	wantErr(t, "ProgressAuditExport", s.ProgressAuditExport(ctx(t), tn.ID, a.ID, 1000), nil)
	wantErr(t, "ProgressAuditExport(other tenant)", s.ProgressAuditExport(ctx(t), other.ID, a.ID, 5), store.ErrNotFound)
	got, err := s.AuditExportByID(ctx(t), tn.ID, a.ID)
	wantErr(t, "AuditExportByID", err, nil)
	if got.Rows != 1000 || got.Status != store.ExportRunning {
		t.Fatalf("after progress: %+v", got)
	}
	_, err = s.AuditExportByID(ctx(t), other.ID, a.ID)
	wantErr(t, "AuditExportByID(other tenant)", err, store.ErrNotFound)

	// Chunks: only for a running, stored export of the tenant.
	chunks := [][]byte{[]byte("{\"seq\":1}\n"), bytes.Repeat([]byte("x"), 200<<10), []byte("last\n")}
	for n, c := range chunks {
		wantErr(t, "AppendAuditExportChunk", s.AppendAuditExportChunk(ctx(t), tn.ID, a.ID, n, c), nil)
	}
	wantErr(t, "AppendAuditExportChunk(same n)", s.AppendAuditExportChunk(ctx(t), tn.ID, a.ID, 1, []byte("y")), store.ErrConflict)
	wantErr(t, "AppendAuditExportChunk(not stored)", s.AppendAuditExportChunk(ctx(t), tn.ID, b.ID, 0, []byte("y")), store.ErrNotFound)
	wantErr(t, "AppendAuditExportChunk(other tenant)", s.AppendAuditExportChunk(ctx(t), other.ID, a.ID, 3, []byte("y")), store.ErrNotFound)
	// Not readable until ready.
	err = s.ReadAuditExport(ctx(t), tn.ID, a.ID, func([]byte) error { return nil })
	wantErr(t, "ReadAuditExport(running)", err, store.ErrNotFound)

	done := t0.Add(2 * time.Minute)
	a.Status, a.Rows, a.Bytes, a.SHA256, a.FinishedAt = store.ExportReady, 1500, 204821, "ab12", &done
	wantErr(t, "FinishAuditExport", s.FinishAuditExport(ctx(t), a), nil)
	wantErr(t, "FinishAuditExport(again)", s.FinishAuditExport(ctx(t), a), store.ErrNotFound)
	wantErr(t, "AppendAuditExportChunk(finished)", s.AppendAuditExportChunk(ctx(t), tn.ID, a.ID, 3, []byte("y")), store.ErrNotFound)
	got, _ = s.AuditExportByID(ctx(t), tn.ID, a.ID)
	mustEqual(t, "finished export", a, got)

	var read [][]byte
	wantErr(t, "ReadAuditExport", s.ReadAuditExport(ctx(t), tn.ID, a.ID, func(c []byte) error {
		read = append(read, bytes.Clone(c))
		return nil
	}), nil)
	mustEqual(t, "chunks in order", chunks, read)
	stop := errors.New("stop")
	if err := s.ReadAuditExport(ctx(t), tn.ID, a.ID, func([]byte) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("ReadAuditExport did not return fn's error: %v", err)
	}
	wantErr(t, "ReadAuditExport(other tenant)", s.ReadAuditExport(ctx(t), other.ID, a.ID, func([]byte) error { return nil }), store.ErrNotFound)

	failed := *b
	failed.Status, failed.Error, failed.FinishedAt = store.ExportFailed, "the database was unavailable", &done
	wantErr(t, "FinishAuditExport(failed)", s.FinishAuditExport(ctx(t), &failed), nil)

	list, err := s.ListAuditExports(ctx(t), tn.ID, 0)
	wantErr(t, "ListAuditExports", err, nil)
	if len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID || list[0].Status != store.ExportFailed {
		t.Fatalf("ListAuditExports = %+v", list)
	}
	if l, _ := s.ListAuditExports(ctx(t), tn.ID, 1); len(l) != 1 {
		t.Fatalf("limit 1: %d", len(l))
	}

	// Expiry deletes stored files past ExpiresAt, of every tenant; the history stays.
	if n, err := s.ExpireAuditExports(ctx(t), t0.Add(24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("ExpireAuditExports before expiry = %d, %v", n, err)
	}
	n, err := s.ExpireAuditExports(ctx(t), t0.Add(8*24*time.Hour))
	wantErr(t, "ExpireAuditExports", err, nil)
	if n != 2 { // a (ready) and foreign (running, abandoned); b kept no file
		t.Fatalf("ExpireAuditExports = %d, want 2", n)
	}
	got, _ = s.AuditExportByID(ctx(t), tn.ID, a.ID)
	if got.Status != store.ExportExpired || got.Rows != 1500 || got.SHA256 != "ab12" {
		t.Fatalf("expired export's history: %+v", got)
	}
	wantErr(t, "ReadAuditExport(expired)", s.ReadAuditExport(ctx(t), tn.ID, a.ID, func([]byte) error { return nil }), store.ErrNotFound)
	if got, _ := s.AuditExportByID(ctx(t), other.ID, foreign.ID); got.Status != store.ExportExpired {
		t.Fatalf("other tenant's export: %+v", got)
	}
	if n, _ := s.ExpireAuditExports(ctx(t), t0.Add(9*24*time.Hour)); n != 0 {
		t.Fatalf("second expiry = %d", n)
	}
}
