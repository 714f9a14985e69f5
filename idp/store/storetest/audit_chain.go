package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// appendEvents appends n events of tenant tn, one second apart from start.
func appendEvents(t *testing.T, s store.Store, tn *store.Tenant, n int, start time.Time) []*store.AuditEvent {
	t.Helper()
	out := make([]*store.AuditEvent, n)
	for i := range n {
		e := &store.AuditEvent{TenantID: tn.ID, Type: "login.succeeded", Outcome: store.AuditSuccess,
			ActorKind: store.ActorUser, ActorID: "u1", UserID: "u1", IP: "203.0.113.9", UserAgent: "Firefox 133 on Linux",
			Location: "Berlin, DE", RequestID: fmt.Sprintf("req-%d", i), Detail: map[string]string{"i": fmt.Sprint(i)},
			CreatedAt: start.Add(time.Duration(i) * time.Second)}
		wantErr(t, "AppendAuditEvent", s.AppendAuditEvent(ctx(t), e), nil)
		out[i] = e
	}
	return out
}

// checkChain walks the tenant's events oldest first and checks every link:
// consecutive Seq from the anchor, each PrevHash the previous Hash, each
// Hash recomputed, and the head equal to the last event.
func checkChain(t *testing.T, s store.Store, tenantID string) int {
	t.Helper()
	c, err := s.AuditChain(ctx(t), tenantID)
	wantErr(t, "AuditChain", err, nil)
	seq, prev, n := c.AnchorSeq, c.AnchorHash, 0
	for {
		page, err := s.ListAuditEvents(ctx(t), tenantID, store.AuditQuery{Oldest: true, After: seq, Limit: 7})
		wantErr(t, "ListAuditEvents(oldest)", err, nil)
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.Seq != seq+1 || !bytes.Equal(e.PrevHash, prev) || !bytes.Equal(e.Hash, store.AuditHash(e.PrevHash, e)) {
				t.Fatalf("broken link at seq %d (after %d): prev %x want %x", e.Seq, seq, e.PrevHash, prev)
			}
			seq, prev = e.Seq, e.Hash
			n++
		}
	}
	if seq != c.LastSeq || !bytes.Equal(prev, c.LastHash) {
		t.Fatalf("chain ends at %d %x, head says %d %x", seq, prev, c.LastSeq, c.LastHash)
	}
	return n
}

func testAuditChain(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	other := mkTenant(t, s, "beta")
	if c, err := s.AuditChain(ctx(t), tn.ID); err != nil || c.LastSeq != 0 || c.LastHash != nil {
		t.Fatalf("AuditChain before any event = %+v, %v; want zero", c, err)
	}
	evs := appendEvents(t, s, tn, 5, t0)
	appendEvents(t, s, other, 2, t0) // another tenant's chain is its own
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has Seq %d", i, e.Seq)
		}
		if len(e.Hash) != 32 || !bytes.Equal(e.Hash, store.AuditHash(e.PrevHash, e)) {
			t.Fatalf("event %d: Hash is not AuditHash(PrevHash, e)", i)
		}
	}
	if evs[0].PrevHash != nil || !bytes.Equal(evs[1].PrevHash, evs[0].Hash) {
		t.Fatal("PrevHash does not link to the previous event")
	}
	// Every stored field is covered: what comes back hashes the same.
	got, err := s.ListAuditEvents(ctx(t), tn.ID, store.AuditQuery{Limit: 1})
	wantErr(t, "ListAuditEvents", err, nil)
	mustEqual(t, "newest event as stored", evs[4], got[0])
	if n := checkChain(t, s, tn.ID); n != 5 {
		t.Fatalf("chain of %d events, want 5", n)
	}
	if n := checkChain(t, s, other.ID); n != 2 {
		t.Fatalf("other tenant's chain of %d events, want 2", n)
	}
	// A change to any field changes the hash.
	for name, edit := range map[string]func(e *store.AuditEvent){
		"type": func(e *store.AuditEvent) { e.Type = "login.failed" }, "ip": func(e *store.AuditEvent) { e.IP = "203.0.113.10" },
		"detail": func(e *store.AuditEvent) { e.Detail = map[string]string{"i": "9"} }, "time": func(e *store.AuditEvent) { e.CreatedAt = e.CreatedAt.Add(time.Microsecond) },
		"seq": func(e *store.AuditEvent) { e.Seq++ }, "outcome": func(e *store.AuditEvent) { e.Outcome = store.AuditFailure },
		"actor": func(e *store.AuditEvent) { e.ActorID = "u2" }, "detail key": func(e *store.AuditEvent) { e.Detail = map[string]string{"j": "2"} },
	} {
		e := *evs[2]
		edit(&e)
		if bytes.Equal(store.AuditHash(e.PrevHash, &e), evs[2].Hash) {
			t.Errorf("editing %s leaves the hash unchanged", name)
		}
	}
	// A failed append changes nothing.
	bad := &store.AuditEvent{TenantID: tn.ID, ID: evs[0].ID, Type: "x", CreatedAt: t0}
	wantErr(t, "AppendAuditEvent(same id)", s.AppendAuditEvent(ctx(t), bad), store.ErrConflict)
	if bad.Seq != 0 || bad.Hash != nil {
		t.Fatalf("a refused append kept Seq %d", bad.Seq)
	}
	if n := checkChain(t, s, tn.ID); n != 5 {
		t.Fatalf("after a refused append: chain of %d events, want 5", n)
	}
}

func testAuditPaging(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	evs := appendEvents(t, s, tn, 25, t0)
	ids := func(l []*store.AuditEvent) []int64 {
		out := []int64{}
		for _, e := range l {
			out = append(out, e.Seq)
		}
		return out
	}
	list := func(q store.AuditQuery) []*store.AuditEvent {
		t.Helper()
		l, err := s.ListAuditEvents(ctx(t), tn.ID, q)
		wantErr(t, "ListAuditEvents", err, nil)
		return l
	}
	// Newest first, page by page with the Before cursor: every event once.
	var seen []int64
	for cursor := int64(0); ; {
		page := list(store.AuditQuery{Before: cursor, Limit: 10})
		if len(page) == 0 {
			break
		}
		seen = append(seen, ids(page)...)
		cursor = page[len(page)-1].Seq
	}
	want := []int64{}
	for i := 25; i >= 1; i-- {
		want = append(want, int64(i))
	}
	mustEqual(t, "newest-first pages", want, seen)
	// Appending between pages does not shift the next page.
	first := list(store.AuditQuery{Limit: 10})
	appendEvents(t, s, tn, 3, t0.Add(time.Hour))
	mustEqual(t, "page after a concurrent append", []int64{15, 14, 13, 12, 11, 10, 9, 8, 7, 6},
		ids(list(store.AuditQuery{Before: first[len(first)-1].Seq, Limit: 10})))
	// Oldest first from a position.
	mustEqual(t, "oldest first after 20", []int64{21, 22, 23, 24, 25, 26},
		ids(list(store.AuditQuery{Oldest: true, After: 20, Limit: 6})))
	// A period: Since inclusive, Until exclusive.
	mustEqual(t, "period", []int64{8, 7, 6}, ids(list(store.AuditQuery{Since: evs[5].CreatedAt, Until: evs[8].CreatedAt})))
	mustEqual(t, "period, oldest first", []int64{6, 7, 8},
		ids(list(store.AuditQuery{Since: evs[5].CreatedAt, Until: evs[8].CreatedAt, Oldest: true})))
	// Several types.
	e := &store.AuditEvent{TenantID: tn.ID, Type: "session.ended", CreatedAt: t0.Add(2 * time.Hour)}
	wantErr(t, "AppendAuditEvent", s.AppendAuditEvent(ctx(t), e), nil)
	mustEqual(t, "types", []int64{29}, ids(list(store.AuditQuery{Types: []string{"session.ended", "nope"}})))
	if got := list(store.AuditQuery{Types: []string{"session.ended", "login.succeeded"}}); len(got) != 29 {
		t.Fatalf("two types: %d events, want 29", len(got))
	}
}

func testTruncateAuditEvents(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	other := mkTenant(t, s, "beta")
	if n, err := s.TruncateAuditEvents(ctx(t), tn.ID, t0.Add(time.Hour), 10); err != nil || n != 0 {
		t.Fatalf("TruncateAuditEvents without events = %d, %v", n, err)
	}
	evs := appendEvents(t, s, tn, 20, t0) // t0 .. t0+19s
	appendEvents(t, s, other, 5, t0)
	// Batches: at most limit at a time, oldest first.
	n, err := s.TruncateAuditEvents(ctx(t), tn.ID, t0.Add(12*time.Second), 5)
	wantErr(t, "TruncateAuditEvents", err, nil)
	if n != 5 {
		t.Fatalf("first batch deleted %d, want 5", n)
	}
	n, err = s.TruncateAuditEvents(ctx(t), tn.ID, t0.Add(12*time.Second), 5)
	if err != nil || n != 5 {
		t.Fatalf("second batch = %d, %v; want 5", n, err)
	}
	n, err = s.TruncateAuditEvents(ctx(t), tn.ID, t0.Add(12*time.Second), 5)
	if err != nil || n != 2 {
		t.Fatalf("third batch = %d, %v; want the 2 left before the cutoff", n, err)
	}
	if n, _ := s.TruncateAuditEvents(ctx(t), tn.ID, t0.Add(12*time.Second), 5); n != 0 {
		t.Fatalf("fourth batch deleted %d, want 0", n)
	}
	c, err := s.AuditChain(ctx(t), tn.ID)
	wantErr(t, "AuditChain", err, nil)
	if c.AnchorSeq != 12 || !bytes.Equal(c.AnchorHash, evs[11].Hash) {
		t.Fatalf("anchor = %d, want 12 with event 12's hash", c.AnchorSeq)
	}
	if got := checkChain(t, s, tn.ID); got != 8 {
		t.Fatalf("%d events left, want 8", got)
	}
	// The chain goes on after truncation.
	appendEvents(t, s, tn, 2, t0.Add(time.Hour))
	if got := checkChain(t, s, tn.ID); got != 10 {
		t.Fatalf("%d events after appending, want 10", got)
	}
	if got := checkChain(t, s, other.ID); got != 5 {
		t.Fatalf("other tenant lost events: %d left", got)
	}
	// An event out of time order stops the cut: the chain stays a suffix.
	late := &store.AuditEvent{TenantID: other.ID, Type: "x", CreatedAt: t0.Add(-time.Hour)}
	wantErr(t, "AppendAuditEvent", s.AppendAuditEvent(ctx(t), late), nil)
	if n, err := s.TruncateAuditEvents(ctx(t), other.ID, t0.Add(2*time.Second), 100); err != nil || n != 2 {
		t.Fatalf("truncating up to a newer event = %d, %v; want 2", n, err)
	}
	if got := checkChain(t, s, other.ID); got != 4 {
		t.Fatalf("other tenant: %d events left, want 4", got)
	}
}

func testConcurrentAuditAppend(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	errs := race(func(i int) error {
		for j := range 5 {
			e := &store.AuditEvent{TenantID: tn.ID, Type: "login.succeeded", CreatedAt: t0.Add(time.Duration(i*5+j) * time.Millisecond)}
			if err := s.AppendAuditEvent(ctx(t), e); err != nil {
				return err
			}
		}
		return nil
	})
	for i, err := range errs {
		wantErr(t, fmt.Sprintf("append %d", i), err, nil)
	}
	if n := checkChain(t, s, tn.ID); n != racers*5 {
		t.Fatalf("chain of %d events, want %d", n, racers*5)
	}
}
