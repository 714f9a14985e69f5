package audit_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite/sqlitetest"
)

func TestExport(t *testing.T) {
	st := sqlitetest.Open(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tn := &store.Tenant{Slug: "acme", Name: "Acme", CreatedAt: t0, UpdatedAt: t0}
	other := &store.Tenant{Slug: "beta", Name: "Beta", CreatedAt: t0, UpdatedAt: t0}
	for _, x := range []*store.Tenant{tn, other} {
		if err := st.CreateTenant(t.Context(), x); err != nil {
			t.Fatal(err)
		}
	}
	// 2,500 events a second apart (more than two pages), one of them with
	// cells a spreadsheet would run, and one event of another tenant.
	const n = 2500
	for i := range n {
		e := &store.AuditEvent{TenantID: tn.ID, Type: audit.LoginPasswordSucceeded, Outcome: store.AuditSuccess,
			UserID: fmt.Sprintf("u%d", i%7), IP: "203.0.113.9", CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if i == 1500 {
			e.UserAgent, e.Detail = "=HYPERLINK(\"http://evil\")", map[string]string{"name": "@SUM(1+1)"}
		}
		if err := st.AppendAuditEvent(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AppendAuditEvent(t.Context(), &store.AuditEvent{TenantID: other.ID, Type: audit.LoginPasswordSucceeded,
		CreatedAt: t0.Add(1600 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	period := audit.Period{Since: t0.Add(100 * time.Second), Until: t0.Add(2300 * time.Second)} // events 100..2299

	var jsonl bytes.Buffer
	var progress []int64
	got, err := audit.Export(t.Context(), st, tn.ID, period, audit.FormatJSONL, &jsonl, func(r int64) { progress = append(progress, r) })
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(jsonl.Bytes())
	if got.Rows != 2200 || got.Bytes != int64(jsonl.Len()) || got.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("Export = %+v; wrote %d bytes", got, jsonl.Len())
	}
	if fmt.Sprint(progress) != "[1000 2000 2200]" {
		t.Fatalf("progress = %v", progress)
	}
	lines := strings.Split(strings.TrimSuffix(jsonl.String(), "\n"), "\n")
	if len(lines) != 2200 {
		t.Fatalf("%d lines", len(lines))
	}
	var first, last audit.Record
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	if first.Seq != 101 || first.Time != "2026-03-01T12:01:40.000000Z" || last.Seq != 2300 || first.Hash == "" {
		t.Fatalf("first %+v, last seq %d", first, last.Seq)
	}

	var buf bytes.Buffer
	got, err = audit.Export(t.Context(), st, tn.ID, period, audit.FormatCSV, &buf, nil)
	if err != nil || got.Rows != 2200 {
		t.Fatalf("CSV export = %+v, %v", got, err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2201 || rows[0][0] != "seq" || rows[0][11] != "user_agent" {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	evil := rows[1500-100+1]
	if evil[11] != `'=HYPERLINK("http://evil")` || evil[14] != `{"name":"@SUM(1+1)"}` {
		t.Fatalf("formula cells not neutralised: %q %q", evil[11], evil[14])
	}

	for _, bad := range []struct {
		p      audit.Period
		format string
	}{{audit.Period{}, audit.FormatJSONL}, {audit.Period{Since: t0, Until: t0}, audit.FormatJSONL}, {period, "xml"}} {
		if _, err := audit.Export(t.Context(), st, tn.ID, bad.p, bad.format, &buf, nil); err == nil {
			t.Errorf("Export(%+v, %q) accepted", bad.p, bad.format)
		}
	}
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{"": "", "=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@x": "'@x",
		"\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b", "login.succeeded": "login.succeeded"} {
		if got := audit.SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}
