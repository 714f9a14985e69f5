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

// testLoginReservations: ReserveLoginAttempt admits an attempt while every
// key's schedule allows one (waits by count, the last entry is the lock),
// counts refused attempts as well, restarts quiet counters, and
// RefundLoginAttempt takes back one.
func testLoginReservations(t *testing.T, s store.Store) {
	a, b := mkTenant(t, s, "acme"), mkTenant(t, s, "other")
	quiet := time.Hour
	acct := store.AttemptRule{Key: "user:x", Waits: []time.Duration{0, 0, time.Second, 4 * time.Second, time.Minute}}
	ip := store.AttemptRule{Key: "ip:192.0.2.1"} // no schedule: admits every attempt
	reserve := func(at time.Time, rules ...store.AttemptRule) (bool, []int) {
		t.Helper()
		ok, cs, err := s.ReserveLoginAttempt(ctx(t), a.ID, rules, at, quiet)
		wantErr(t, "ReserveLoginAttempt", err, nil)
		if len(cs) != len(rules) {
			t.Fatalf("%d counters for %d rules", len(cs), len(rules))
		}
		var n []int
		for i, c := range cs {
			if c.Key != rules[i].Key || !c.LastFailureAt.Equal(at) && c.LastFailureAt.Before(at) {
				t.Fatalf("counter %d: %+v", i, c)
			}
			n = append(n, c.Failures)
		}
		return ok, n
	}
	expect := func(what string, at time.Time, wantOK bool, want []int, rules ...store.AttemptRule) {
		t.Helper()
		ok, n := reserve(at, rules...)
		if ok != wantOK || !slices.Equal(n, want) {
			t.Fatalf("%s: reserved %v counts %v, want %v %v", what, ok, n, wantOK, want)
		}
	}
	expect("first", t0, true, []int{1, 1}, acct, ip)
	expect("second (free)", t0, true, []int{2, 2}, acct, ip)
	expect("third owes 1s", t0, false, []int{3, 3}, acct, ip) // refused, counted
	expect("fourth owes 4s from the refusal", t0.Add(time.Second), false, []int{4, 4}, acct, ip)
	expect("at the lock", t0.Add(time.Second+59*time.Second), false, []int{5, 5}, acct, ip)
	expect("lock over", t0.Add(2*time.Minute), true, []int{6, 6}, acct, ip)
	// The address alone admits, the account refuses: not reserved, both counted.
	expect("account locked", t0.Add(2*time.Minute), false, []int{7, 7}, acct, ip)
	got, _ := s.LoginCounterByKey(ctx(t), a.ID, ip.Key)
	if got.Failures != 7 || !got.FirstFailureAt.Equal(t0) || !got.LastFailureAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("address counter %+v", got)
	}
	// Tenant isolation: another tenant's counter of the same key is its own,
	// and a refund there does not reach this one.
	ok, cs, err := s.ReserveLoginAttempt(ctx(t), b.ID, []store.AttemptRule{acct}, t0.Add(2*time.Minute), quiet)
	if err != nil || !ok || cs[0].Failures != 1 {
		t.Fatalf("other tenant: %v %+v %v", ok, cs, err)
	}
	wantErr(t, "RefundLoginAttempt(other tenant)", s.RefundLoginAttempt(ctx(t), b.ID, acct.Key), nil)
	wantErr(t, "RefundLoginAttempt(other tenant, again)", s.RefundLoginAttempt(ctx(t), b.ID, acct.Key), nil)
	if c, _ := s.LoginCounterByKey(ctx(t), b.ID, acct.Key); c.Failures != 0 {
		t.Fatalf("refund below zero: %+v", c)
	}
	// A refund takes back one; the last failure stays.
	wantErr(t, "RefundLoginAttempt", s.RefundLoginAttempt(ctx(t), a.ID, ip.Key), nil)
	got, _ = s.LoginCounterByKey(ctx(t), a.ID, ip.Key)
	if got.Failures != 6 || !got.LastFailureAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("after a refund: %+v", got)
	}
	wantErr(t, "RefundLoginAttempt(unknown key)", s.RefundLoginAttempt(ctx(t), a.ID, "user:nobody"), nil)
	// Quiet for a whole period: the streak starts again, admitted.
	later := t0.Add(2*time.Minute + quiet)
	expect("after a quiet period", later, true, []int{1}, acct)
	if c, _ := s.LoginCounterByKey(ctx(t), a.ID, acct.Key); !c.FirstFailureAt.Equal(later) {
		t.Fatalf("restarted counter %+v", c)
	}
}

// testConcurrentLoginReservations: many simultaneous reservations over two
// keys with a frozen clock: exactly as many are admitted as the account's
// schedule has free places, and every attempt is counted on both keys.
func testConcurrentLoginReservations(t *testing.T, s store.Store) {
	tn := mkTenant(t, s, "acme")
	const limit = 5
	acct := store.AttemptRule{Key: "user:u1", Waits: []time.Duration{0, 0, 0, 0, 0, time.Hour}}
	ip := store.AttemptRule{Key: "ip:198.51.100.7", Waits: []time.Duration{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, time.Hour}}
	var mu sync.Mutex
	reserved := 0
	errs := race(func(int) error {
		ok, _, err := s.ReserveLoginAttempt(ctx(t), tn.ID, []store.AttemptRule{acct, ip}, t0, 15*time.Minute)
		if ok {
			mu.Lock()
			reserved++
			mu.Unlock()
		}
		return err
	})
	for _, err := range errs {
		wantErr(t, "concurrent ReserveLoginAttempt", err, nil)
	}
	if reserved != limit {
		t.Fatalf("%d of %d racing attempts reserved, want %d", reserved, racers, limit)
	}
	for _, k := range []string{acct.Key, ip.Key} {
		if c, _ := s.LoginCounterByKey(ctx(t), tn.ID, k); c.Failures != racers {
			t.Fatalf("%s counts %d of %d attempts", k, c.Failures, racers)
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
