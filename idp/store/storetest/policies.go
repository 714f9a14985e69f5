package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Conformance tests for the access-policy aggregates (policies.go in store).

func testLoginFailures(t *testing.T, s store.Store) {
	a, b := mkTenant(t, s, "acme"), mkTenant(t, s, "other")
	quiet := 15 * time.Minute
	c, err := s.LoginCounterByKey(ctx(t), a.ID, "user:x")
	wantErr(t, "LoginCounterByKey(unknown)", err, nil)
	mustEqual(t, "empty counter", store.LoginCounter{Key: "user:x"}, c)

	for i := 1; i <= 3; i++ {
		c, err = s.RecordLoginFailure(ctx(t), a.ID, "user:x", t0.Add(time.Duration(i)*time.Minute), quiet)
		wantErr(t, "RecordLoginFailure", err, nil)
		if c.Failures != i {
			t.Fatalf("failure %d: counter says %d", i, c.Failures)
		}
	}
	mustEqual(t, "counter", store.LoginCounter{Key: "user:x", Failures: 3, FirstFailureAt: t0.Add(time.Minute), LastFailureAt: t0.Add(3 * time.Minute)}, c)
	got, err := s.LoginCounterByKey(ctx(t), a.ID, "user:x")
	wantErr(t, "LoginCounterByKey", err, nil)
	mustEqual(t, "stored counter", c, got)

	// Tenant isolation: the same key elsewhere is another counter.
	if c, _ := s.LoginCounterByKey(ctx(t), b.ID, "user:x"); c.Failures != 0 {
		t.Fatalf("tenant B sees tenant A's counter: %+v", c)
	}
	if n, _ := s.ClearLoginFailures(ctx(t), b.ID, "user:x"); n != 0 {
		t.Fatalf("tenant B cleared %d of tenant A's counters", n)
	}

	// An older failure arriving late (clock skew) never moves the last failure back.
	c, _ = s.RecordLoginFailure(ctx(t), a.ID, "user:x", t0.Add(2*time.Minute), quiet)
	if c.Failures != 4 || !c.LastFailureAt.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("late failure: %+v", c)
	}
	// Quiet for a whole period: the streak starts again.
	later := t0.Add(3*time.Minute + quiet)
	c, _ = s.RecordLoginFailure(ctx(t), a.ID, "user:x", later, quiet)
	mustEqual(t, "restarted counter", store.LoginCounter{Key: "user:x", Failures: 1, FirstFailureAt: later, LastFailureAt: later}, c)

	_, _ = s.RecordLoginFailure(ctx(t), a.ID, "ip:192.0.2.1", t0, quiet)
	n, err := s.ClearLoginFailures(ctx(t), a.ID, "user:x", "email:nobody@example.com")
	wantErr(t, "ClearLoginFailures", err, nil)
	if n != 1 {
		t.Fatalf("ClearLoginFailures removed %d, want 1", n)
	}
	if c, _ := s.LoginCounterByKey(ctx(t), a.ID, "user:x"); c.Failures != 0 {
		t.Fatalf("cleared counter still counts %d", c.Failures)
	}
	n, err = s.DeleteStaleLoginFailures(ctx(t), t0.Add(time.Second))
	wantErr(t, "DeleteStaleLoginFailures", err, nil)
	if n != 1 {
		t.Fatalf("DeleteStaleLoginFailures removed %d, want 1", n)
	}
}

// testConcurrentLoginFailures: every one of many simultaneous failures is counted.
func testConcurrentLoginFailures(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	counts := make([]int, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c, err := s.RecordLoginFailure(ctx(t), tn.ID, "user:u1", t0.Add(time.Duration(i)*time.Millisecond), 15*time.Minute)
			errs[i], counts[i] = err, c.Failures
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		wantErr(t, "concurrent RecordLoginFailure", err, nil)
		_ = i
	}
	c, err := s.LoginCounterByKey(ctx(t), tn.ID, "user:u1")
	wantErr(t, "LoginCounterByKey", err, nil)
	if c.Failures != n {
		t.Fatalf("after %d concurrent failures the counter says %d", n, c.Failures)
	}
	// Each caller saw a distinct count: the increments were serialised.
	slices.Sort(counts)
	for i, v := range counts {
		if v != i+1 {
			t.Fatalf("returned counts are not 1..%d: position %d holds %d", n, i, v)
		}
	}
}

func testPasswordHistory(t *testing.T, s store.Store) {
	a, b := mkTenant(t, s, "acme"), mkTenant(t, s, "other")
	u := mkUser(t, s, a.ID, "zoe@example.com")
	for i, h := range []string{"h1", "h2", "h3"} {
		wantErr(t, "AddPasswordHistory", s.AddPasswordHistory(ctx(t), a.ID, u.ID, h, t0.Add(time.Duration(i)*time.Minute), 2), nil)
	}
	got, err := s.ListPasswordHistory(ctx(t), a.ID, u.ID, 10)
	wantErr(t, "ListPasswordHistory", err, nil)
	mustEqual(t, "history (newest first, 2 kept)", []string{"h3", "h2"}, got)
	got, _ = s.ListPasswordHistory(ctx(t), a.ID, u.ID, 1)
	mustEqual(t, "history limit 1", []string{"h3"}, got)
	if got, _ := s.ListPasswordHistory(ctx(t), b.ID, u.ID, 10); len(got) != 0 {
		t.Fatalf("tenant B sees tenant A's history: %v", got)
	}
	wantErr(t, "AddPasswordHistory other tenant", s.AddPasswordHistory(ctx(t), b.ID, u.ID, "x", t0, 2), store.ErrNotFound)
	// keep 0 (history turned off) forgets everything.
	wantErr(t, "AddPasswordHistory keep 0", s.AddPasswordHistory(ctx(t), a.ID, u.ID, "h4", t0.Add(time.Hour), 0), nil)
	if got, _ := s.ListPasswordHistory(ctx(t), a.ID, u.ID, 10); len(got) != 0 {
		t.Fatalf("keep 0 left %v", got)
	}
}

func testSessionClients(t *testing.T, s store.Store) {
	a, b := mkTenant(t, s, "acme"), mkTenant(t, s, "other")
	u := mkUser(t, s, a.ID, "zoe@example.com")
	ss := mkSession(t, s, a.ID, u.ID)
	wantErr(t, "RecordSessionClient", s.RecordSessionClient(ctx(t), a.ID, ss.ID, "desk", t0), nil)
	wantErr(t, "RecordSessionClient", s.RecordSessionClient(ctx(t), a.ID, ss.ID, "reports", t0.Add(time.Minute)), nil)
	wantErr(t, "RecordSessionClient again", s.RecordSessionClient(ctx(t), a.ID, ss.ID, "desk", t0.Add(2*time.Minute)), nil)
	got, err := s.ListSessionClients(ctx(t), a.ID, ss.ID)
	wantErr(t, "ListSessionClients", err, nil)
	mustEqual(t, "session clients", []store.SessionClient{
		{ClientID: "desk", FirstAt: t0, LastAt: t0.Add(2 * time.Minute)},
		{ClientID: "reports", FirstAt: t0.Add(time.Minute), LastAt: t0.Add(time.Minute)},
	}, got)
	if got, _ := s.ListSessionClients(ctx(t), b.ID, ss.ID); len(got) != 0 {
		t.Fatalf("tenant B sees tenant A's session clients: %v", got)
	}
	wantErr(t, "RecordSessionClient other tenant", s.RecordSessionClient(ctx(t), b.ID, ss.ID, "desk", t0), store.ErrNotFound)
	wantErr(t, "RecordSessionClient unknown session", s.RecordSessionClient(ctx(t), a.ID, "nope", "desk", t0), store.ErrNotFound)
}

func testClientLogouts(t *testing.T, s store.Store) {
	a, b := mkTenant(t, s, "acme"), mkTenant(t, s, "other")
	mkClient(t, s, a.ID, "desk")
	uri, err := s.BackchannelLogoutURI(ctx(t), a.ID, "desk")
	wantErr(t, "BackchannelLogoutURI(none)", err, nil)
	if uri != "" {
		t.Fatalf("new client has back-channel URI %q", uri)
	}
	wantErr(t, "Set", s.SetBackchannelLogoutURI(ctx(t), a.ID, "desk", "https://desk.example.com/bcl"), nil)
	wantErr(t, "Set again", s.SetBackchannelLogoutURI(ctx(t), a.ID, "desk", "https://desk.example.com/bcl2"), nil)
	if uri, _ := s.BackchannelLogoutURI(ctx(t), a.ID, "desk"); uri != "https://desk.example.com/bcl2" {
		t.Fatalf("stored URI %q", uri)
	}
	if uri, _ := s.BackchannelLogoutURI(ctx(t), b.ID, "desk"); uri != "" {
		t.Fatalf("tenant B sees tenant A's URI %q", uri)
	}
	wantErr(t, "Set other tenant", s.SetBackchannelLogoutURI(ctx(t), b.ID, "desk", "https://evil.example/"), store.ErrNotFound)
	wantErr(t, "Set unknown client", s.SetBackchannelLogoutURI(ctx(t), a.ID, "nope", "https://x.example/"), store.ErrNotFound)
	wantErr(t, "Remove", s.SetBackchannelLogoutURI(ctx(t), a.ID, "desk", ""), nil)
	if uri, _ := s.BackchannelLogoutURI(ctx(t), a.ID, "desk"); uri != "" {
		t.Fatalf("removed URI still %q", uri)
	}
	// Deleting the client deletes its URI.
	wantErr(t, "Set", s.SetBackchannelLogoutURI(ctx(t), a.ID, "desk", "https://desk.example.com/bcl"), nil)
	wantErr(t, "DeleteClient", s.DeleteClient(ctx(t), a.ID, "desk"), nil)
	mkClient(t, s, a.ID, "desk")
	if uri, _ := s.BackchannelLogoutURI(ctx(t), a.ID, "desk"); uri != "" {
		t.Fatalf("URI survived its client: %q", uri)
	}
}
