package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func testAuditEvents(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	other := mkTenant(t, s, "beta")
	ev := func(typ, user string, at time.Time, detail map[string]string) *store.AuditEvent {
		e := &store.AuditEvent{
			TenantID: tn.ID, Type: typ, UserID: user, ClientID: "desk", SessionID: "sess-" + user,
			IP: "198.51.100.4", UserAgent: "curl/8", Detail: detail, CreatedAt: at,
		}
		wantErr(t, "AppendAuditEvent", s.AppendAuditEvent(ctx(t), e), nil)
		if e.ID == "" {
			t.Fatal("AppendAuditEvent did not fill an empty ID")
		}
		return e
	}
	e1 := ev("login.password.failed", "u1", t0, map[string]string{"reason": "bad_password", "attempt": "3"})
	e2 := ev("login.succeeded", "u1", t0.Add(time.Second), nil)
	e3 := ev("login.succeeded", "u2", t0.Add(time.Second), map[string]string{"amr": "pwd otp"}) // same instant as e2, appended after
	e4 := ev("session.ended", "u2", t0.Add(time.Minute), map[string]string{})
	e4.Detail = nil // empty maps come back nil
	mine := &store.AuditEvent{TenantID: other.ID, Type: "login.succeeded", UserID: "u1", CreatedAt: t0.Add(time.Hour)}
	wantErr(t, "AppendAuditEvent(other tenant)", s.AppendAuditEvent(ctx(t), mine), nil)

	dup := *e1
	wantErr(t, "AppendAuditEvent(same id)", s.AppendAuditEvent(ctx(t), &dup), store.ErrConflict)
	wantErr(t, "AppendAuditEvent(unknown tenant)", s.AppendAuditEvent(ctx(t), &store.AuditEvent{TenantID: "nope", Type: "x", CreatedAt: t0}), store.ErrNotFound)

	list := func(q store.AuditQuery) []*store.AuditEvent {
		t.Helper()
		got, err := s.ListAuditEvents(ctx(t), tn.ID, q)
		wantErr(t, "ListAuditEvents", err, nil)
		return got
	}
	mustEqual(t, "all, newest first", []*store.AuditEvent{e4, e3, e2, e1}, list(store.AuditQuery{}))
	mustEqual(t, "user u1", []*store.AuditEvent{e2, e1}, list(store.AuditQuery{UserID: "u1"}))
	mustEqual(t, "type", []*store.AuditEvent{e3, e2}, list(store.AuditQuery{Types: []string{"login.succeeded"}}))
	mustEqual(t, "user and type", []*store.AuditEvent{e3}, list(store.AuditQuery{UserID: "u2", Types: []string{"login.succeeded"}}))
	mustEqual(t, "since (inclusive)", []*store.AuditEvent{e4, e3, e2}, list(store.AuditQuery{Since: t0.Add(time.Second)}))
	mustEqual(t, "since and user", []*store.AuditEvent{e2}, list(store.AuditQuery{Since: t0.Add(time.Second), UserID: "u1"}))
	mustEqual(t, "limit", []*store.AuditEvent{e4, e3}, list(store.AuditQuery{Limit: 2}))
	if got := list(store.AuditQuery{UserID: "nobody"}); len(got) != 0 {
		t.Fatalf("events of an unknown user: %v", got)
	}

	// Limit <= 0 means 100.
	for i := range 110 {
		ev("token.refreshed", "bulk", t0.Add(time.Hour+time.Duration(i)*time.Millisecond), map[string]string{"n": fmt.Sprint(i)})
	}
	for _, limit := range []int{0, -1} {
		got := list(store.AuditQuery{Limit: limit})
		if len(got) != 100 || got[0].Detail["n"] != "109" || got[99].Detail["n"] != "10" {
			t.Fatalf("Limit %d: %d events, first %v", limit, len(got), got[0].Detail)
		}
	}
	if got := list(store.AuditQuery{Limit: 500}); len(got) != 114 {
		t.Fatalf("Limit 500: %d events, want 114", len(got))
	}
}

// testTimes checks the time rules: UTC out, microsecond precision, zero stays zero.
func testTimes(t *testing.T, s store.Store) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	in := time.Date(2031, time.March, 4, 10, 36, 7, 123456789, zone) // nanoseconds: truncated
	tn := &store.Tenant{ID: store.NewID(), Slug: "times", Name: "T", CreatedAt: in, UpdatedAt: in}
	wantErr(t, "CreateTenant", s.CreateTenant(ctx(t), tn), nil)
	got, err := s.TenantByID(ctx(t), tn.ID)
	wantErr(t, "TenantByID", err, nil)
	want := in.Truncate(time.Microsecond).UTC()
	for name, tm := range map[string]time.Time{"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt} {
		if tm != want || tm.Location() != time.UTC {
			t.Fatalf("%s = %v (%v), want %v in UTC", name, tm, tm.Location(), want)
		}
	}

	// Far past and far future survive.
	u := &store.User{TenantID: tn.ID, Email: "old@example.com", Role: store.RoleAgent,
		PasswordChangedAt: time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC),
		CreatedAt:         time.Date(1901, 12, 13, 20, 45, 52, 0, time.UTC),
		UpdatedAt:         time.Date(2999, 12, 31, 23, 59, 59, 999999000, time.UTC)}
	wantErr(t, "CreateUser", s.CreateUser(ctx(t), u), nil)
	gu, err := s.UserByID(ctx(t), tn.ID, u.ID)
	wantErr(t, "UserByID", err, nil)
	mustEqual(t, "user with extreme times", u, gu)

	// Pointer times: UTC too.
	ss := mkSession(t, s, tn.ID, u.ID)
	wantErr(t, "EndSession", s.EndSession(ctx(t), tn.ID, ss.ID, "logout", in), nil)
	gs, _ := s.SessionByID(ctx(t), tn.ID, ss.ID)
	if gs.EndedAt == nil || *gs.EndedAt != want || gs.EndedAt.Location() != time.UTC {
		t.Fatalf("EndedAt = %v, want %v in UTC", gs.EndedAt, want)
	}
}
