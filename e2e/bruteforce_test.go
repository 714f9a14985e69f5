package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/notify/smtptest"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// TestBruteForceParallel: 200 wrong passwords at once against one account.
// Every attempt that was checked is counted exactly once (no lost update),
// the rest were refused by the back-off, and the account ends locked: even
// the right password is refused.
func TestBruteForceParallel(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		page := e.browser().loginPage(r)
		const n = 200
		codes := burst(n, func(i int) int {
			resp, _ := e.browser().postLogin(page, agentEmail, "wrong-password-"+string(rune('a'+i%26)))
			return resp.StatusCode
		})
		checked, throttled := 0, 0
		for _, c := range codes {
			switch c {
			case http.StatusUnauthorized:
				checked++
			case http.StatusTooManyRequests:
				throttled++
			default:
				t.Fatalf("unexpected status %d", c)
			}
		}
		u := e.user(agentEmail)
		c, err := e.store.LoginCounterByKey(context.Background(), e.acme.ID, "user:"+u.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Every attempt counts, checked or refused: exactly n, and the account is locked.
		if c.Failures != n || checked < 1 || checked+throttled != n {
			t.Fatalf("counter %d, checked %d, throttled %d", c.Failures, checked, throttled)
		}
		resp, body := e.browser().postLogin(page, agentEmail, agentPassword)
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "temporarily locked") {
			t.Fatalf("right password on a locked account: %d %.300s", resp.StatusCode, body)
		}
		if evs := e.auditEvents("login.locked"); len(evs) < 1 || evs[len(evs)-1].Detail["counter"] != "account" {
			t.Fatalf("login.locked events: %d", len(evs))
		}
	})
}

// TestBruteForceBackoff walks the back-off with the injected clock: three
// free failures, then 1 s, 2 s, 4 s ... waits, a lock at the tenth failure
// that lasts 15 minutes, the same messages for an unknown account, a lock
// email, and `user unlock`.
func TestBruteForceBackoff(t *testing.T) {
	var ms = new(mailBox)
	forEachBackendOpts(t, func(t *testing.T, o *idp.Options) { ms.srv, o.EmailSender = mailServer(t) }, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		page := e.browser().loginPage(r)
		attempt := func(email, pw string) (int, string) {
			t.Helper()
			resp, body := e.browser().postLogin(page, email, pw)
			return resp.StatusCode, body
		}
		expect := func(email, pw string, want int, text string) {
			t.Helper()
			st, body := attempt(email, pw)
			if st != want || !strings.Contains(body, text) {
				t.Fatalf("%s: got %d, want %d with %q: %.300s", email, st, want, text, body)
			}
		}
		const wrong = "Incorrect email or password."
		// An unknown account gets exactly the same treatment as a real one.
		for _, email := range []string{agentEmail, "nobody@acme.test"} {
			page = e.browser().loginPage(r) // a sign-in request lives 30 minutes
			for i := 1; i <= 4; i++ {       // three free failures, the fourth owes 1 s
				expect(email, "wrong", http.StatusUnauthorized, wrong)
			}
			e.clock.Advance(time.Second - time.Millisecond)
			// Too early: refused, counted (5th), and the wait doubles from now.
			expect(email, agentPassword, http.StatusTooManyRequests, "Try again in 2 seconds.")
			e.clock.Advance(2 * time.Second)
			expect(email, "wrong", http.StatusUnauthorized, wrong) // 6th: owes 4 s
			e.clock.Advance(4*time.Second - time.Millisecond)
			expect(email, agentPassword, http.StatusTooManyRequests, "Try again in 8 seconds.") // 7th
			e.clock.Advance(8 * time.Second)
			expect(email, "wrong", http.StatusUnauthorized, wrong) // 8th: owes 16 s
			e.clock.Advance(16 * time.Second)
			expect(email, "wrong", http.StatusUnauthorized, wrong) // 9th: owes 32 s
			e.clock.Advance(32 * time.Second)
			expect(email, "wrong", http.StatusUnauthorized, wrong) // 10th: locked for 15 minutes
			expect(email, agentPassword, http.StatusTooManyRequests, "temporarily locked after too many failed attempts. Try again in 15 minutes.")
			e.clock.Advance(15*time.Minute - time.Second)
			// Guessing during the lock keeps it going.
			expect(email, agentPassword, http.StatusTooManyRequests, "Try again in 15 minutes.")
			e.clock.Advance(15 * time.Minute)
		}
		// The lock of the real account was emailed, under the tenant's name.
		m := waitMail(t, ms.srv, agentEmail)
		if !strings.Contains(m.Subject, "blocked") || !strings.Contains(m.Text, "10 failed sign-in attempts") || m.From == nil || m.From.Name != "Acme Support" {
			t.Fatalf("lock email: %q from %v: %s", m.Subject, m.From, m.Text)
		}
		// After the lock the right password works, and clears the counter.
		page = e.browser().loginPage(r)
		if q := e.browser().submitLogin(page, agentEmail, agentPassword); q == nil {
			t.Fatal("right password after the lock expired was refused")
		}
		// Lock again, then unlock as an admin.
		page = e.browser().loginPage(r)
		for i := 0; i < 10; i++ {
			attempt(agentEmail, "wrong")
			e.clock.Advance(time.Minute + time.Second)
		}
		if st, _ := attempt(agentEmail, agentPassword); st != http.StatusTooManyRequests {
			t.Fatalf("second lock: %d", st)
		}
		if n, err := e.srv.Manage().UnlockUser(context.Background(), e.acme, agentEmail); err != nil || n != 1 {
			t.Fatalf("unlock: %d %v", n, err)
		}
		if q := e.browser().submitLogin(page, agentEmail, agentPassword); q == nil {
			t.Fatal("unlocked account still refused")
		}
	})
}

// mailBox carries the per-backend SMTP server from the options hook to the test.
type mailBox struct{ srv *smtptest.Server }

// TestBruteForceLockLongerThanWindow: a lock longer than the counting window
// is not cut short by the counter restarting under it.
func TestBruteForceLockLongerThanWindow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.updateTenant(func(s *store.TenantSettings) {
			s.LoginMaxFailures = 3
			s.LoginWindowMinutes = 5
			s.LoginLockMinutes = 60
		})
		id, secret := e.webClient()
		r := e.rp(id, secret)
		page := e.browser().loginPage(r)
		for i := 0; i < 3; i++ {
			if resp, _ := e.browser().postLogin(page, agentEmail, "wrong"); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i+1, resp.StatusCode)
			}
		}
		for _, wait := range []time.Duration{10 * time.Minute, 20 * time.Minute} {
			e.clock.Advance(wait) // beyond the 5-minute window, inside the 60-minute lock
			page = e.browser().loginPage(r)
			resp, body := e.browser().postLogin(page, agentEmail, agentPassword)
			if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "temporarily locked") {
				t.Fatalf("after %s: %d", wait, resp.StatusCode)
			}
		}
		e.clock.Advance(time.Hour)
		page = e.browser().loginPage(r)
		if q := e.browser().submitLogin(page, agentEmail, agentPassword); q == nil {
			t.Fatal("lock did not end")
		}
	})
}
