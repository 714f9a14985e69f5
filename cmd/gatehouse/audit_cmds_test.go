package main

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestCLIAudit lists, verifies, exports and lists the export history of a
// tenant's log, then tampers with a row the way someone with database access
// would and expects verify to name it and fail.
func TestCLIAudit(t *testing.T) {
	dir := setupEnv(t)
	if code, _, errs := cli(t, "", "tenant", "create", "acme", "--name", "Acme"); code != 0 {
		t.Fatal(errs)
	}
	for _, email := range []string{"ann@acme.test", "bob@acme.test", "cy@acme.test"} {
		if code, _, errs := cli(t, "", "user", "create", "--tenant", "acme", "--email", email); code != 0 {
			t.Fatal(errs)
		}
	}

	code, out, errs := cli(t, "", "audit", "list", "--tenant", "acme")
	if code != 0 || !strings.HasPrefix(out, "TIME (UTC)") || strings.Count(out, "user.created") != 3 || !strings.Contains(out, "tenant.created") {
		t.Fatalf("audit list: %d\n%s%s", code, out, errs)
	}
	// Paging with the cursor: every event once, newest first.
	var page auditListOut
	_, out, _ = cli(t, "", "audit", "list", "--tenant", "acme", "--limit", "2", "--json")
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Events) != 2 || page.NextCursor == "" {
		t.Fatalf("first page: %v %s", err, out)
	}
	_, out, _ = cli(t, "", "audit", "list", "--tenant", "acme", "--limit", "2", "--cursor", page.NextCursor, "--json")
	var next auditListOut
	if err := json.Unmarshal([]byte(out), &next); err != nil || len(next.Events) != 2 || next.Events[0].Seq != page.Events[1].Seq-1 {
		t.Fatalf("second page: %v %s", err, out)
	}
	_, out, _ = cli(t, "", "audit", "list", "--tenant", "acme", "--type", "tenant.created", "--json")
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Events) != 1 || page.NextCursor != "" {
		t.Fatalf("by type: %v %s", err, out)
	}
	// What a CLI command does, the CLI did.
	_, out, _ = cli(t, "", "audit", "list", "--tenant", "acme", "--type", "user.created", "--json")
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Events) != 3 {
		t.Fatalf("user.created: %v %s", err, out)
	}
	for _, e := range page.Events {
		if e.ActorKind != "cli" {
			t.Fatalf("a CLI command's event has actor %q", e.ActorKind)
		}
	}
	// Every problem at once.
	code, _, errs = cli(t, "", "audit", "list", "--tenant", "acme", "--since", "yesterday", "--limit", "0", "--cursor", "x")
	if code != 1 || !strings.Contains(errs, "--since") || !strings.Contains(errs, "--limit") || !strings.Contains(errs, "--cursor") {
		t.Fatalf("bad flags: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "", "audit", "list", "--tenant", "acme", "--user", "nobody@acme.test"); code != 1 || !strings.Contains(errs, "no user") {
		t.Fatalf("unknown user: %d %s", code, errs)
	}

	// A client granted the audit scope; a scope needs client credentials.
	if code, _, errs := cli(t, "", "client", "create", "--tenant", "acme", "--name", "SIEM", "--scope", "gatehouse.audit"); code != 1 ||
		!strings.Contains(errs, "need the client_credentials grant") {
		t.Fatalf("scope without client_credentials: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "", "client", "create", "--tenant", "acme", "--name", "SIEM", "--grant", "client_credentials", "--scope", "gatehouse.everything"); code != 1 ||
		!strings.Contains(errs, `scope "gatehouse.everything" is not one a client may be granted`) {
		t.Fatalf("unknown scope: %d %s", code, errs)
	}
	code, out, errs = cli(t, "", "client", "create", "--tenant", "acme", "--name", "SIEM", "--grant", "client_credentials", "--scope", "gatehouse.audit", "--json")
	if code != 0 || !strings.Contains(out, `"scopes": [`) || !strings.Contains(out, `"gatehouse.audit"`) {
		t.Fatalf("client with scope: %d %s %s", code, out, errs)
	}

	// Retention: 30 to 3650 days, shown with the tenant's settings.
	if code, _, errs := cli(t, "", "tenant", "update", "acme", "--audit-retention-days", "10"); code != 1 || !strings.Contains(errs, "--audit-retention-days must be between 30 and 3650 but is 10") {
		t.Fatalf("retention too short: %d %s", code, errs)
	}
	if _, out, _ := cli(t, "", "tenant", "show", "acme"); !strings.Contains(out, "audit_retention_days         365") {
		t.Fatalf("default retention:\n%s", out)
	}
	if code, _, errs := cli(t, "", "tenant", "update", "acme", "--audit-retention-days", "90"); code != 0 {
		t.Fatalf("retention: %d %s", code, errs)
	}
	if _, out, _ := cli(t, "", "tenant", "show", "acme"); !strings.Contains(out, "audit_retention_days         90") {
		t.Fatalf("retention not kept:\n%s", out)
	}

	if code, out, errs := cli(t, "", "audit", "verify", "--tenant", "acme"); code != 0 || !strings.Contains(out, "intact: 6 events") {
		t.Fatalf("verify: %d %s %s", code, out, errs)
	}

	// Exports, to files, then the history.
	since, until := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	jsonl, csvFile := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "a.csv")
	if code, _, errs := cli(t, "", "audit", "export", "--tenant", "acme", "--since", since, "--until", until, "--out", jsonl); code != 0 || !strings.Contains(errs, "exported 6 events") {
		t.Fatalf("export jsonl: %d %s", code, errs)
	}
	if b, _ := os.ReadFile(jsonl); strings.Count(string(b), "\n") != 6 || !strings.Contains(string(b), `"type":"user.created"`) {
		t.Fatalf("jsonl file:\n%s", b)
	}
	if code, _, errs := cli(t, "", "audit", "export", "--tenant", "acme", "--since", since, "--until", until, "--format", "csv", "--out", csvFile); code != 0 {
		t.Fatalf("export csv: %d %s", code, errs)
	}
	f, _ := os.Open(csvFile)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 8 || rows[0][0] != "seq" { // header, 6 events, the first export's own event
		t.Fatalf("csv file: %v %v", err, rows)
	}
	if code, _, errs := cli(t, "", "audit", "export", "--tenant", "acme", "--since", since, "--until", until, "--out", csvFile); code != 1 || !strings.Contains(errs, "exists") {
		t.Fatalf("export over an existing file: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "", "audit", "export", "--tenant", "acme", "--since", until, "--until", since, "--format", "xml"); code != 1 ||
		!strings.Contains(errs, "period is empty") || !strings.Contains(errs, "--format") {
		t.Fatalf("bad export: %d %s", code, errs)
	}
	code, out, _ = cli(t, "", "audit", "exports", "--tenant", "acme")
	if code != 0 || !strings.HasPrefix(out, "REQUESTED") || strings.Count(out, "ready") != 2 || !strings.Contains(out, "cli") {
		t.Fatalf("exports:\n%s", out)
	}
	if _, out, _ := cli(t, "", "audit", "list", "--tenant", "acme", "--type", "audit.exported"); strings.Count(out, "audit.exported") != 2 {
		t.Fatalf("export events:\n%s", out)
	}

	// Tampering: change who an event is about, behind the store's back.
	db, err := sql.Open("sqlite", os.Getenv("GATEHOUSE_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit_events SET detail = '{"email":"mallory@acme.test"}' WHERE chain_seq = 3`); err != nil {
		t.Fatal(err)
	}
	code, out, _ = cli(t, "", "audit", "verify", "--tenant", "acme")
	if code != 1 || !strings.Contains(out, "BROKEN at event 3") || !strings.Contains(out, "2 events before it verified") {
		t.Fatalf("verify after tampering: %d %s", code, out)
	}
}
