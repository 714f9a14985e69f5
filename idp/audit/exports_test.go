package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite/sqlitetest"
)

func TestExportsKeepHistoryAndFiles(t *testing.T) {
	st := sqlitetest.Open(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tn := &store.Tenant{Slug: "acme", Name: "Acme", CreatedAt: t0, UpdatedAt: t0}
	if err := st.CreateTenant(t.Context(), tn); err != nil {
		t.Fatal(err)
	}
	for i := range 5000 { // about 2 MB of JSON lines: the stored file spans chunks
		e := &store.AuditEvent{TenantID: tn.ID, Type: audit.LoginPasswordSucceeded, Outcome: store.AuditSuccess,
			UserID: "u1", UserAgent: "Firefox 133 on Linux", IP: "203.0.113.9",
			Detail:    map[string]string{"amr": "pwd otp", "padding": string(bytes.Repeat([]byte("p"), 200))},
			CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if err := st.AppendAuditEvent(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(48 * time.Hour)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ready := make(chan *store.AuditExport, 1)
	ex := &audit.Exports{Store: st, Clock: func() time.Time { return now }, Log: log,
		Recorder: &audit.Recorder{Store: st, Clock: func() time.Time { return now }, Logger: log},
		Ready:    func(_ context.Context, x *store.AuditExport) { ready <- x }}
	period := audit.Period{Since: t0, Until: t0.Add(24 * time.Hour)}

	// The CLI's export: written out, only the history kept.
	var local bytes.Buffer
	x, err := ex.Write(t.Context(), tn.ID, audit.Actor{Kind: store.ActorCLI}, period, audit.FormatCSV, &local, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(local.Bytes())
	if x.Status != store.ExportReady || x.Rows != 5000 || x.Stored || x.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("CLI export = %+v", x)
	}

	// The API's export: in the background, stored, downloadable.
	owner := audit.Actor{Kind: store.ActorUser, ID: "owner-1"}
	started, err := ex.Start(t.Context(), tn.ID, owner, period, audit.FormatJSONL)
	if err != nil || started.Status != store.ExportRunning || started.ID == "" {
		t.Fatalf("Start = %+v, %v", started, err)
	}
	done := <-ready
	ex.Wait()
	if done.Status != store.ExportReady || done.Rows != 5000 || done.Bytes < 2<<20 {
		t.Fatalf("background export = %+v", done)
	}
	var file bytes.Buffer
	if err := ex.Download(t.Context(), tn.ID, started.ID, &file); err != nil {
		t.Fatal(err)
	}
	sum = sha256.Sum256(file.Bytes())
	if int64(file.Len()) != done.Bytes || hex.EncodeToString(sum[:]) != done.SHA256 {
		t.Fatalf("downloaded %d bytes, SHA-256 %x; history says %d, %s", file.Len(), sum, done.Bytes, done.SHA256)
	}
	var direct bytes.Buffer
	if _, err := audit.Export(t.Context(), st, tn.ID, period, audit.FormatJSONL, &direct, nil); err != nil || !bytes.Equal(direct.Bytes(), file.Bytes()) {
		t.Fatalf("stored file differs from a direct export (%v)", err)
	}
	if err := ex.Download(t.Context(), "other-tenant", started.ID, io.Discard); err == nil {
		t.Fatal("another tenant downloaded the export")
	}

	// The history: both exports, newest first, and one event each.
	hist, err := st.ListAuditExports(t.Context(), tn.ID, 10)
	if err != nil || len(hist) != 2 {
		t.Fatalf("history = %v, %v", hist, err)
	}
	evs, err := st.ListAuditEvents(t.Context(), tn.ID, store.AuditQuery{Types: []string{audit.AuditExported}})
	if err != nil || len(evs) != 2 || evs[0].ActorKind != store.ActorUser || evs[0].UserID != "owner-1" ||
		evs[0].Detail["sha256"] != done.SHA256 || evs[1].ActorKind != store.ActorCLI {
		t.Fatalf("export events = %+v, %v", evs, err)
	}

	// Refused before anything is recorded.
	if _, err := ex.Start(t.Context(), tn.ID, owner, audit.Period{Since: t0}, audit.FormatJSONL); err == nil {
		t.Fatal("an export without an end was started")
	}
	if _, err := ex.Write(t.Context(), tn.ID, owner, period, "xlsx", io.Discard, nil); err == nil {
		t.Fatal("an unknown format was accepted")
	}
	if hist, _ := st.ListAuditExports(t.Context(), tn.ID, 10); len(hist) != 2 {
		t.Fatalf("refused exports left history: %d rows", len(hist))
	}
}
