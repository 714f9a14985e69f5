package e2e

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
)

// Parallel guesses against the brute-force limits (issue 8, defects 5 and
// 7): an attempt is reserved in the database before the password or code is
// checked, so a burst of simultaneous guesses performs exactly as many
// checks as the limits allow. gatehouse_credential_verifications_total
// counts the checks actually performed.

// verifications returns the number of password or second-factor checks the
// server performed so far.
func (e *env) verifications(kind string) int {
	e.t.Helper()
	v := e.metric(`gatehouse_credential_verifications_total{kind="` + kind + `"}`)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		e.t.Fatalf("metric value %q: %v", v, err)
	}
	return int(n)
}

// burst runs n calls of f at once and returns their results.
func burst(n int, f func(i int) int) []int {
	out := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// expectChecked asserts that of a burst's statuses exactly allowed were
// checked (401) and the rest refused unchecked (429), and that the server
// performed exactly allowed verifications of kind since before.
func (e *env) expectChecked(codes []int, allowed int, kind string, before int) {
	e.t.Helper()
	got := map[int]int{}
	for _, c := range codes {
		got[c]++
	}
	if got[http.StatusUnauthorized] != allowed || got[http.StatusTooManyRequests] != len(codes)-allowed {
		e.t.Fatalf("statuses %v: want %d checked (401) and %d refused (429)", got, allowed, len(codes)-allowed)
	}
	if v := e.verifications(kind) - before; v != allowed {
		e.t.Fatalf("%d %s verifications for %d parallel guesses, want %d", v, kind, len(codes), allowed)
	}
}

// TestParallelPasswordGuessesReserved: 200 wrong passwords at once. The
// clock stands still, so the account's throttle admits exactly its free
// attempts plus one (three free failures cost nothing; the fourth is still
// free to try and owes a second afterwards): 4 checks, not 200. Every other
// guess is refused before any hashing, still counted, so the account ends
// locked and even the right password is refused.
func TestParallelPasswordGuessesReserved(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		page := e.browser().loginPage(r)
		before := e.verifications("password")
		const n, allowed = 200, 4
		codes := burst(n, func(i int) int {
			resp, _ := e.browser().postLogin(page, agentEmail, "wrong-password-"+strconv.Itoa(i))
			return resp.StatusCode
		})
		e.expectChecked(codes, allowed, "password", before)
		resp, body := e.browser().postLogin(page, agentEmail, agentPassword)
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "temporarily locked") {
			t.Fatalf("right password on a locked account: %d %.300s", resp.StatusCode, body)
		}
		if v := e.verifications("password") - before; v != allowed {
			t.Fatalf("the refused right password was verified (%d checks)", v)
		}
	})
}

// TestParallelFactorGuessesReserved: 200 wrong authenticator codes at once,
// spread over 40 sign-ins (five each, the per-sign-in limit), against an
// account limit of 10 failures: exactly 10 codes are checked. The account's
// second factor is then locked: the right code is refused in a new sign-in.
func TestParallelFactorGuessesReserved(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.setMFA("always", nil, 0)
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		_, authURL := r.start()
		arID, ok := at2FA(b.passwordStep(authURL))
		if !ok {
			t.Fatal("no second-factor step")
		}
		totpSecret, _ := b.enrollTOTPInLogin(arID)
		e.clock.Advance(30 * time.Second) // the enrolment's code is spent

		const signIns, n, allowed = 40, 200, 10
		type pending struct{ arID, fid string }
		logins := make([]pending, signIns)
		for i := range logins {
			_, authURL := r.start()
			resp, body := b.passwordStep(authURL)
			arID, ok := at2FA(resp, body)
			m := factorRE.FindStringSubmatch(body)
			if !ok || m == nil {
				t.Fatalf("sign-in %d: want the code challenge, got %d %.300s", i, resp.StatusCode, body)
			}
			logins[i] = pending{arID, m[1]}
		}
		wrong := wrongTOTP(t, totpSecret, e.clock.Now())
		before := e.verifications("factor")
		codes := burst(n, func(i int) int {
			l := logins[i%signIns]
			resp, _ := b.mfaPost("", l.arID, url.Values{"factor": {l.fid}, "code": {wrong}})
			return resp.StatusCode
		})
		e.expectChecked(codes, allowed, "factor", before)
		if f := e.factorFailures(e.agent().ID); f != allowed {
			t.Fatalf("%d factor failures recorded, want %d", f, allowed)
		}
		// Locked: a new sign-in with the right code is refused, unchecked.
		_, authURL = r.start()
		resp, body := b.passwordStep(authURL)
		arID, ok = at2FA(resp, body)
		if !ok {
			t.Fatalf("want the challenge: %d %.300s", resp.StatusCode, body)
		}
		fid := factorRE.FindStringSubmatch(body)[1]
		resp, body = b.mfaPost("", arID, url.Values{"factor": {fid}, "code": {oathtool(t, totpSecret, e.clock.Now())}})
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "this account") {
			t.Fatalf("right code on a locked account: %d %.300s", resp.StatusCode, body)
		}
		if v := e.verifications("factor") - before; v != allowed {
			t.Fatalf("the refused right code was verified (%d checks)", v)
		}
	})
}

// wrongTOTP returns a six-digit code that is valid for none of the steps
// around at (the accepted window), so a guess cannot be right by chance.
func wrongTOTP(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-60 * time.Second, -30 * time.Second, 0, 30 * time.Second, 60 * time.Second} {
		valid[oathtool(t, secret, at.Add(d))] = true
	}
	for i := 0; ; i++ {
		c := strings.Repeat(strconv.Itoa(i%10), 6)
		if !valid[c] {
			return c
		}
	}
}

// TestFederationProofPasswordThrottled: the linking proof's password check
// goes through the sign-in throttle. 15 wrong passwords over 3 upstream
// sign-ins: the account's counter counts them, locks at 10 like sign-in,
// and the right password is then refused at the proof page (and at sign-in).
func TestFederationProofPasswordThrottled(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		up := fedtest.GoogleLike(t, fedtest.User{Subject: "g-throttle", Email: agentEmail, EmailVerified: yes()})
		conn := e.connect(up, manage.ConnectionSpec{Kind: "google", LinkMode: "verified_email_with_proof"})
		id, secret := e.webClient()
		r := e.rp(id, secret)
		linkURL := e.issuer + "/login/federated/" + conn.ID + "/link"
		before := e.verifications("password")
		for round := range 3 {
			b := e.browser()
			_, page := r.loginPage(b)
			if res := b.federated(page, conn.ID, up); res.resp.StatusCode != http.StatusOK {
				t.Fatalf("round %d: want the proof page, got %d", round, res.resp.StatusCode)
			}
			for range 5 {
				b.post(linkURL, url.Values{"password": {"guess-guess-guess"}})
				e.clock.Advance(2 * time.Minute) // beyond every back-off delay: only the lock stops guesses
			}
		}
		c, err := e.store.LoginCounterByKey(t.Context(), e.acme.ID, "user:"+e.userByEmail(agentEmail).ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Failures != 15 {
			t.Fatalf("account counter %d after 15 wrong proof passwords, want 15", c.Failures)
		}
		if v := e.verifications("password") - before; v != 10 {
			t.Fatalf("%d proof passwords verified, want 10 (then the lock)", v)
		}
		b := e.browser()
		_, page := r.loginPage(b)
		b.federated(page, conn.ID, up)
		resp, body := b.post(linkURL, url.Values{"password": {agentPassword}})
		if resp.StatusCode != http.StatusTooManyRequests || rpRedirectQuery(resp) != nil || !strings.Contains(body, "temporarily locked") {
			t.Fatalf("right proof password on a locked account: %d %.300s", resp.StatusCode, body)
		}
		if len(e.links(e.userByEmail(agentEmail).ID)) != 0 {
			t.Fatal("linked while locked")
		}
		resp, _ = e.browser().postLogin(e.browser().loginPage(r), agentEmail, agentPassword)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("sign-in after the proof locked the account: %d", resp.StatusCode)
		}
	})
}
