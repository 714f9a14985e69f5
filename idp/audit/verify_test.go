package audit_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/sqlite"
)

// TestVerifyFindsTampering edits, deletes and reorders rows behind the
// store's back, as someone with database access would, and expects Verify to
// name the first broken link each time.
func TestVerifyFindsTampering(t *testing.T) {
	for _, tc := range []struct {
		name, sql string
		seq       int64
		reason    string
	}{
		{"edited detail", `UPDATE audit_events SET detail = '{"reason":"ok"}' WHERE chain_seq = 3`, 3, "contents"},
		{"edited type", `UPDATE audit_events SET type = 'login.succeeded' WHERE chain_seq = 4`, 4, "contents"},
		{"edited ip", `UPDATE audit_events SET ip = '10.0.0.1' WHERE chain_seq = 2`, 2, "contents"},
		{"edited time", `UPDATE audit_events SET created_at = created_at + 1 WHERE chain_seq = 5`, 5, "contents"},
		{"deleted in the middle", `DELETE FROM audit_events WHERE chain_seq = 3`, 3, "missing"},
		{"deleted at the end", `DELETE FROM audit_events WHERE chain_seq = 6`, 6, "missing"},
		{"rehashed but not relinked", `UPDATE audit_events SET hash = X'00' WHERE chain_seq = 2`, 2, "contents"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "g.db")
			st, err := sqlite.Open(t.Context(), path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := st.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			tn := &store.Tenant{Slug: "acme", Name: "Acme", CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if err := st.CreateTenant(t.Context(), tn); err != nil {
				t.Fatal(err)
			}
			for i := range 6 {
				e := &store.AuditEvent{TenantID: tn.ID, Type: audit.LoginPasswordFailed, UserID: "u1", IP: "203.0.113.9",
					Detail: map[string]string{"reason": "bad_password"}, CreatedAt: time.Now().Add(time.Duration(i) * time.Second)}
				if err := st.AppendAuditEvent(t.Context(), e); err != nil {
					t.Fatal(err)
				}
			}
			r, err := audit.Verify(t.Context(), st, tn.ID)
			if err != nil || r.Broken != nil || r.Events != 6 || r.First != 1 || r.Last != 6 {
				t.Fatalf("before tampering: %+v, %v", r, err)
			}

			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if res, err := db.Exec(tc.sql); err != nil {
				t.Fatal(err)
			} else if n, _ := res.RowsAffected(); n != 1 {
				t.Fatalf("tampering touched %d rows", n)
			}
			r, err = audit.Verify(t.Context(), st, tn.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Broken == nil || r.Broken.Seq != tc.seq || !strings.Contains(r.Broken.Reason, tc.reason) {
				t.Fatalf("after tampering: %+v (broken %+v), want a break at %d (%s)", r, r.Broken, tc.seq, tc.reason)
			}
		})
	}
}
