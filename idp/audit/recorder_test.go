package audit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// appender keeps what it is given, or fails with err.
type appender struct {
	got []*store.AuditEvent
	err error
}

func (a *appender) AppendAuditEvent(_ context.Context, e *store.AuditEvent) error {
	if a.err != nil {
		return a.err
	}
	a.got = append(a.got, e)
	return nil
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newRecorder(a *appender, logs *bytes.Buffer) *Recorder {
	return &Recorder{
		Store:  a,
		Clock:  func() time.Time { return t0 },
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Request: func(context.Context) (string, string, string) {
			return "203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", "req-1"
		},
	}
}

func TestRecordFillsIn(t *testing.T) {
	a := &appender{}
	r := newRecorder(a, &bytes.Buffer{})
	r.Record(context.Background(), &store.AuditEvent{TenantID: "t1", Type: LoginSSO})
	kept := &store.AuditEvent{ID: "given", TenantID: "t1", Type: IPRefused, IP: "198.51.100.1", UserAgent: "curl", CreatedAt: t0.Add(-time.Hour)}
	r.Record(context.Background(), kept)
	if len(a.got) != 2 {
		t.Fatalf("appended %d events, want 2", len(a.got))
	}
	e := a.got[0]
	if e.ID == "" || !e.CreatedAt.Equal(t0) || e.IP != "203.0.113.7" || e.UserAgent != "Firefox 140 on Linux" || e.RequestID != "req-1" {
		t.Errorf("filled in: id %q, time %v, ip %q, ua %q", e.ID, e.CreatedAt, e.IP, e.UserAgent)
	}
	if e := a.got[1]; e.ID != "given" || !e.CreatedAt.Equal(t0.Add(-time.Hour)) || e.IP != "198.51.100.1" || e.UserAgent != "curl" {
		t.Errorf("given fields overwritten: %+v", e)
	}
	if a.got[0].ID == a.got[1].ID {
		t.Error("two events, one id")
	}
}

func TestRecordWithoutRequest(t *testing.T) {
	a := &appender{}
	r := newRecorder(a, &bytes.Buffer{})
	r.Request = nil // CLI: no HTTP request
	r.Record(context.Background(), &store.AuditEvent{TenantID: "t1", Type: TenantCreated})
	if e := a.got[0]; e.IP != "" || e.UserAgent != "" || e.ID == "" {
		t.Errorf("without a request: %+v", e)
	}
}

func TestRecordLogsStoreFailure(t *testing.T) {
	var logs bytes.Buffer
	r := newRecorder(&appender{err: errors.New("database is locked")}, &logs)
	r.Record(context.Background(), &store.AuditEvent{TenantID: "t1", Type: LoginPasswordFailed, UserID: "u1",
		Detail: map[string]string{"secret_looking": "hunter2"}})
	line := logs.String()
	for _, want := range []string{"level=ERROR", "audit event lost", "type=login.password.failed", "tenant_id=t1", "database is locked"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "hunter2") {
		t.Errorf("log %q carries the event's detail", line)
	}
}

func TestRecordNamesTheActor(t *testing.T) {
	a := &appender{}
	r := newRecorder(a, &bytes.Buffer{})
	r.Locate = func(ip string) string { return "Berlin, DE (" + ip + ")" }
	ctx := context.Background()
	r.Record(ctx, &store.AuditEvent{TenantID: "t1", Type: LoginSSO, UserID: "u1", ClientID: "desk"})
	r.Record(ctx, &store.AuditEvent{TenantID: "t1", Type: TokenRevoked, ClientID: "desk"})
	r.Record(ctx, &store.AuditEvent{TenantID: "t1", Type: LoginPasswordFailed})
	r.Record(ctx, &store.AuditEvent{TenantID: "t1", Type: MFAReset, UserID: "u1", ActorKind: store.ActorUser, ActorID: "admin-1"})
	offline := &Recorder{Store: a, Clock: r.Clock, Logger: r.Logger, Outside: store.ActorCLI}
	offline.Record(ctx, &store.AuditEvent{TenantID: "t1", Type: UserCreated, UserID: "u2"})
	(&Recorder{Store: a, Clock: r.Clock, Logger: r.Logger}).Record(ctx, &store.AuditEvent{TenantID: "t1", Type: AuditTruncated})
	want := []struct{ kind, id string }{{store.ActorUser, "u1"}, {store.ActorClient, "desk"}, {store.ActorUser, ""},
		{store.ActorUser, "admin-1"}, {store.ActorCLI, ""}, {store.ActorSystem, ""}}
	for i, w := range want {
		if e := a.got[i]; e.ActorKind != w.kind || e.ActorID != w.id {
			t.Errorf("event %d (%s): actor %s:%s, want %s:%s", i, e.Type, e.ActorKind, e.ActorID, w.kind, w.id)
		}
	}
	if a.got[0].Location != "Berlin, DE (203.0.113.7)" || a.got[4].Location != "" {
		t.Errorf("locations: %q, %q", a.got[0].Location, a.got[4].Location)
	}
}
