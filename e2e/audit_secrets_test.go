package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Every secret that crosses the wire in the e2e suite — passwords and
// codes people type, client secrets, authorization codes, access, refresh
// and ID tokens — is noted by a tap in front of each test server
// (secretTap). When a test's server goes away, every audit event its store
// holds is searched for every secret noted so far (checkAuditForSecrets):
// an event must never hold one. TestMain reports how many events were
// searched, and fails when secrets were noted but no event was searched.

var (
	tappedSecrets sync.Map // secret -> where it was seen
	auditScanned  atomic.Int64
	secretsNoted  atomic.Int64
)

// secretFields are the form and JSON fields whose values are secrets.
var secretFields = []string{"password", "new_password", "current_password", "code", "client_secret", "refresh_token",
	"access_token", "id_token", "token", "otp", "backup_code", "client_assertion"}

func noteSecret(v, where string) {
	v = strings.TrimSpace(v)
	if len(v) < 6 { // short values (a "1", a kind name) are not secrets
		return
	}
	if _, loaded := tappedSecrets.LoadOrStore(v, where); !loaded {
		secretsNoted.Add(1)
	}
}

// secretTap notes the secrets of a request and, for the token endpoint,
// of its response; then serves it with next.
func secretTap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pw, ok := r.BasicAuth(); ok {
			noteSecret(pw, "basic auth")
		}
		if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
			noteSecret(strings.TrimPrefix(auth, "Bearer "), "bearer")
		}
		if r.Body != nil && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			r.Body = io.NopCloser(bytes.NewReader(b))
			if form, err := url.ParseQuery(string(b)); err == nil {
				for _, f := range secretFields {
					for _, v := range form[f] {
						noteSecret(v, r.URL.Path+" "+f)
					}
				}
			}
		}
		tw := &tapWriter{ResponseWriter: w, token: strings.HasSuffix(r.URL.Path, "/oauth/token")}
		next.ServeHTTP(tw, r)
		if loc := w.Header().Get("Location"); loc != "" {
			if u, err := url.Parse(loc); err == nil {
				noteSecret(u.Query().Get("code"), "redirect code")
			}
		}
		if tw.token {
			var m map[string]any
			if json.Unmarshal(tw.body.Bytes(), &m) == nil {
				for _, f := range secretFields {
					if s, ok := m[f].(string); ok {
						noteSecret(s, "token response "+f)
					}
				}
			}
		}
	})
}

type tapWriter struct {
	http.ResponseWriter
	token bool
	body  bytes.Buffer
}

func (t *tapWriter) Write(p []byte) (int, error) {
	if t.token && t.body.Len() < 1<<16 {
		t.body.Write(p)
	}
	return t.ResponseWriter.Write(p)
}

func (t *tapWriter) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// checkAuditForSecrets fails t for every audit event of the tenants that
// holds a secret noted so far.
func checkAuditForSecrets(t testing.TB, st store.Store, tenants ...*store.Tenant) {
	t.Helper()
	for _, p := range findSecretsInAudit(st, tenants...) {
		t.Error(p)
	}
}

// findSecretsInAudit checks every audit event of the tenants: its detail
// has only the fields its type declares, and it holds no secret noted so far, in every text field and detail key and value (long
// secrets also base64-encoded), and describes each find by event and field.
func findSecretsInAudit(st store.Store, tenants ...*store.Tenant) []string {
	var problems []string
	var secrets []string
	tappedSecrets.Range(func(k, _ any) bool {
		secrets = append(secrets, k.(string))
		return true
	})
	if err := st.Ping(context.Background()); err != nil {
		return nil // the test closed its store on purpose (readiness tests): nothing to read
	}
	for _, tn := range tenants {
		if tn == nil {
			continue
		}
		for before := int64(0); ; {
			evs, err := st.ListAuditEvents(context.Background(), tn.ID, store.AuditQuery{Before: before, Limit: 1000})
			if err != nil {
				return append(problems, "audit secret scan: "+err.Error())
			}
			for _, e := range evs {
				if bad := audit.Undeclared(e.Type, e.Detail); len(bad) > 0 {
					problems = append(problems, fmt.Sprintf("audit event %s (%s) has detail fields not declared in idp/audit/detail.go: %v", e.ID, e.Type, bad))
				}
				fields := map[string]string{"type": e.Type, "outcome": e.Outcome, "actor_id": e.ActorID, "user_id": e.UserID,
					"client_id": e.ClientID, "session_id": e.SessionID, "ip": e.IP, "user_agent": e.UserAgent,
					"location": e.Location, "request_id": e.RequestID}
				for k, v := range e.Detail {
					fields["detail key "+k], fields["detail "+k] = k, v
				}
				for name, v := range fields {
					for _, sec := range secrets {
						// A short secret (a six-digit code) is a leak when it is a
						// whole value; inside a longer one (a GUID of zeros) it is
						// a coincidence. A long one is a leak anywhere.
						hit := v == sec || len(sec) >= 12 && (strings.Contains(v, sec) ||
							strings.Contains(v, base64.StdEncoding.EncodeToString([]byte(sec))))
						if hit {
							where, _ := tappedSecrets.Load(sec)
							problems = append(problems, fmt.Sprintf("audit event %s (%s): its %s holds a secret seen as %v", e.ID, e.Type, name, where))
						}
					}
				}
				auditScanned.Add(1)
			}
			if len(evs) < 1000 {
				break
			}
			before = evs[len(evs)-1].Seq
		}
	}
	return problems
}

// TestAuditSecretScanFinds plants, in a store of its own, a secret seen on
// the wire in an event's detail (as is and base64-encoded) and a detail
// field nobody declared, and expects the scan to name all three; an event
// without them passes.
func TestAuditSecretScanFinds(t *testing.T) {
	st := newSQLiteStore(t)
	tn := &store.Tenant{Slug: "plant", Name: "Plant", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := st.CreateTenant(context.Background(), tn); err != nil {
		t.Fatal(err)
	}
	secret := "planted-" + store.NewID() // unique to this test
	noteSecret(secret, "basic auth (planted)")
	defer tappedSecrets.Delete(secret)
	add := func(d map[string]string) {
		if err := st.AppendAuditEvent(context.Background(), &store.AuditEvent{TenantID: tn.ID, Type: audit.ClientCreated,
			Detail: d, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	add(map[string]string{"name": "Helpdesk"})
	if problems := findSecretsInAudit(st, tn); len(problems) != 0 {
		t.Fatalf("clean log: %v", problems)
	}
	add(map[string]string{"name": "the secret is " + secret})
	add(map[string]string{"name": base64.StdEncoding.EncodeToString([]byte(secret))})
	add(map[string]string{"note": "hello"})
	problems := strings.Join(findSecretsInAudit(st, tn), "\n")
	if strings.Count(problems, "holds a secret seen as basic auth (planted)") != 2 || !strings.Contains(problems, "not declared") {
		t.Fatalf("planted: %s", problems)
	}
}
