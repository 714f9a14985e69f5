package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

var (
	hiddenToken = regexp.MustCompile(`name="token" value="([^"]+)"`)
	hiddenStep  = regexp.MustCompile(`name="step" value="([^"]+)"`)
)

const newPassword = "Velvet-Lantern-Orchard-Compass-77"

// TestPasswordPolicyPerTenant: the tenant's rules apply where users are created.
func TestPasswordPolicyPerTenant(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		// Without an email sender the login page offers no reset link.
		id, secret := e.webClient()
		if page := e.browser().loginPage(e.rp(id, secret)); strings.Contains(page, "Forgot password?") {
			t.Fatal("reset link shown without email")
		}
		e.updateTenant(func(s *store.TenantSettings) { s.PasswordMinLength = 20; s.PasswordStrength = "strong" })
		ctx := context.Background()
		ten, _ := e.srv.Manage().TenantBySlug(ctx, "acme")
		if _, err := e.srv.Manage().CreateUser(ctx, ten, manage.UserSpec{Email: "bob@acme.test", Password: "Short-But-Fine-91"}); err == nil || !strings.Contains(err.Error(), "at least 20 characters") {
			t.Fatalf("short password under min length 20: %v", err)
		}
		if _, err := e.srv.Manage().CreateUser(ctx, ten, manage.UserSpec{Email: "bob@acme.test", Password: "bob@acme.test-bob@acme.test"}); err == nil {
			t.Fatal("password built from the email accepted")
		}
		if _, err := e.srv.Manage().CreateUser(ctx, ten, manage.UserSpec{Email: "bob@acme.test", Password: "Quartz-Meadow-Tangerine-Harbor-19"}); err != nil {
			t.Fatalf("strong long password refused: %v", err)
		}
		// The other tenant keeps the defaults.
		if _, err := e.srv.Manage().CreateUser(ctx, e.other, manage.UserSpec{Email: "bob@other.test", Password: "Short-But-Fine-91"}); err != nil {
			t.Fatalf("default policy in another tenant: %v", err)
		}
	})
}

// TestPasswordChangeOnAccountPage: current password required, history and
// minimum age enforced, other sessions end (their refresh fails), email sent.
func TestPasswordChangeOnAccountPage(t *testing.T) {
	ms := new(mailBox)
	forEachBackendOpts(t, func(t *testing.T, o *idp.Options) { ms.srv, o.EmailSender = mailServer(t) }, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b, other := e.browser(), e.browser()
		r.signIn(b)
		otherTok := r.signIn(other)
		page := e.issuer + "/account/password"
		if resp, body := b.get(page); resp.StatusCode != 200 || !strings.Contains(body, `name="current"`) {
			t.Fatalf("password page: %d", resp.StatusCode)
		}
		var last *http.Response
		change := func(cur, pw, confirm string) (int, string) {
			resp, body := b.post(page, url.Values{"current": {cur}, "password": {pw}, "confirm": {confirm}})
			last = resp
			return resp.StatusCode, body
		}
		if st, body := change("wrong", newPassword, newPassword); st != 401 || !strings.Contains(body, "current password is not correct") {
			t.Fatalf("wrong current password: %d", st)
		}
		if st, body := change(agentPassword, newPassword, newPassword+"x"); st != 400 || !strings.Contains(body, "not the same") {
			t.Fatalf("mismatched confirmation: %d", st)
		}
		if st, body := change(agentPassword, agentPassword, agentPassword); st != 400 || !strings.Contains(body, "used this password recently") {
			t.Fatalf("reusing the current password: %d %.200s", st, body)
		}
		if st, body := change(agentPassword, newPassword, newPassword); st != 200 || !strings.Contains(body, "Your password was changed") {
			t.Fatalf("change: %d %.300s", st, body)
		}
		// The POST answered with a redirect (303): the page is a GET, so a
		// refresh never changes the password again.
		if last.Request.Method != http.MethodGet || last.Request.URL.Query().Get("done") != "password" {
			t.Fatalf("the success page came from %s %s, want a GET after a redirect", last.Request.Method, last.Request.URL)
		}
		// The other browser's session ended: its refresh token is dead.
		if st, body := e.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {otherTok.RefreshToken}}, id, secret); st != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("refresh of another session after a password change: %d %v", st, body)
		}
		m := waitMail(t, ms.srv, agentEmail)
		if !strings.Contains(m.Subject, "password was changed") || !strings.Contains(m.Text, "other sessions were signed out") || !strings.Contains(m.HTML, "Acme Support") {
			t.Fatalf("password changed email: %q %s", m.Subject, m.Text)
		}
		// History: the previous password cannot come back.
		if st, body := change(newPassword, agentPassword, agentPassword); st != 400 || !strings.Contains(body, "used this password recently") {
			t.Fatalf("history: %d", st)
		}
		// Minimum age.
		e.updateTenant(func(s *store.TenantSettings) { s.PasswordMinAgeDays = 1 })
		if st, body := change(newPassword, "Harbor-Quartz-Meadow-Tangerine-23", "Harbor-Quartz-Meadow-Tangerine-23"); st != 400 || !strings.Contains(body, "changed your password recently") {
			t.Fatalf("min age: %d %.300s", st, body)
		}
		ev := e.auditEvents("user.password.changed")
		if len(ev) != 1 || ev[0].Detail["via"] != "account" || ev[0].Detail["sessions_ended"] != "1" {
			t.Fatalf("audit: %+v", ev)
		}
		// Guessing the current password is throttled like sign-in (one wrong guess above).
		for i := 2; i <= 4; i++ {
			if st, _ := change("guess", newPassword+"x", newPassword+"x"); st != 401 {
				t.Fatalf("wrong current password %d: %d", i, st)
			}
		}
		if st, body := change("guess", newPassword+"x", newPassword+"x"); st != 429 || !strings.Contains(body, "Try again in") {
			t.Fatalf("fifth guess: %d", st)
		}
	})
}

// TestPasswordExpiry: past the maximum age, sign-in stops at a
// change-password step; the new password completes the sign-in.
func TestPasswordExpiry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		e.updateTenant(func(s *store.TenantSettings) { s.PasswordMaxAgeDays = 30 })
		e.clock.Advance(29 * 24 * time.Hour)
		if q := e.browser().login(r.authURL("a", pkceOpt()), agentEmail, agentPassword); q.Get("code") == "" {
			t.Fatal("password not yet expired: no code")
		}
		e.clock.Advance(2 * 24 * time.Hour)
		b := e.browser()
		resp, body := b.postLogin(b.loginPage(r), agentEmail, agentPassword)
		if resp.StatusCode != 200 || !strings.Contains(body, "Your password has expired") || rpRedirectQuery(resp) != nil {
			t.Fatalf("expired password: %d %.300s", resp.StatusCode, body)
		}
		arID, step := hiddenID.FindStringSubmatch(body)[1], hiddenStep.FindStringSubmatch(body)[1]
		post := func(step, pw string) (*http.Response, string) {
			return b.post(e.issuer+"/login/password-change", url.Values{"id": {arID}, "step": {step}, "password": {pw}, "confirm": {pw}})
		}
		if resp, _ := post(step[:len(step)-2]+"xx", newPassword); resp.StatusCode != 400 {
			t.Fatalf("forged step: %d", resp.StatusCode)
		}
		if resp, body := post(step, agentPassword); resp.StatusCode != 400 || !strings.Contains(body, "used this password recently") {
			t.Fatalf("same password again: %d", resp.StatusCode)
		}
		resp, _ = post(step, newPassword)
		if q := rpRedirectQuery(resp); q == nil || q.Get("code") == "" {
			t.Fatalf("after the change the sign-in should complete: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		// The step is spent with its sign-in request.
		if resp, _ := post(step, "Harbor-Quartz-Meadow-Tangerine-23"); resp.StatusCode != 400 {
			t.Fatalf("step reused: %d", resp.StatusCode)
		}
		if q := e.browser().login(r.authURL("c", pkceOpt()), agentEmail, newPassword); q.Get("code") == "" {
			t.Fatal("the new password does not sign in")
		}
	})
}

// TestPasswordReset: same answer for known and unknown addresses; the link
// works once, for 30 minutes; the reset ends sessions and is emailed.
func TestPasswordReset(t *testing.T) {
	ms := new(mailBox)
	forEachBackendOpts(t, func(t *testing.T, o *idp.Options) { ms.srv, o.EmailSender = mailServer(t) }, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		tok := r.signIn(e.browser())
		b := e.browser()
		if page := b.loginPage(r); !strings.Contains(page, "Forgot password?") || !strings.Contains(page, e.issuer+"/login/forgot?id=") {
			t.Fatal("login page has no reset link although email is configured")
		}
		if resp, body := b.get(e.issuer + "/login/forgot"); resp.StatusCode != 200 || !strings.Contains(body, `name="email"`) {
			t.Fatalf("forgot page: %d", resp.StatusCode)
		}
		ask := func(email string) (int, string) {
			resp, body := b.post(e.issuer+"/login/forgot", url.Values{"email": {email}})
			return resp.StatusCode, body
		}
		st1, body1 := ask(agentEmail)
		st2, body2 := ask("nobody@acme.test")
		if st1 != 200 || st1 != st2 || body1 != body2 {
			t.Fatalf("forgot answers differ: %d vs %d\n%s\n---\n%s", st1, st2, body1, body2)
		}
		m := waitMail(t, ms.srv, agentEmail)
		link := linkRE.FindString(m.Text)
		if link == "" || !strings.Contains(m.HTML, link) || !strings.Contains(m.Subject, "Reset your Acme Support password") {
			t.Fatalf("reset email: %q %s", m.Subject, m.Text)
		}
		resp, page := b.get(link)
		if resp.StatusCode != 200 || !strings.Contains(page, `name="password"`) {
			t.Fatalf("reset page: %d", resp.StatusCode)
		}
		token := hiddenToken.FindStringSubmatch(page)[1]
		reset := func(token, pw string) (int, string) {
			resp, body := b.post(e.issuer+"/login/reset", url.Values{"token": {token}, "password": {pw}, "confirm": {pw}})
			return resp.StatusCode, body
		}
		// A weak password does not spend the link.
		if st, body := reset(token, "short"); st != 400 || !strings.Contains(body, "at least 12 characters") {
			t.Fatalf("weak password: %d", st)
		}
		// A reused one (known only after the link is spent) gets a fresh single-use token.
		st, body := reset(token, agentPassword)
		if st != 400 || !strings.Contains(body, "used this password recently") {
			t.Fatalf("reused password: %d %.300s", st, body)
		}
		next := hiddenToken.FindStringSubmatch(body)[1]
		if next == token {
			t.Fatal("token not replaced")
		}
		if st, body := reset(token, newPassword); st != 400 || !strings.Contains(body, "Link not valid") {
			t.Fatalf("spent token accepted: %d", st)
		}
		if st, body := reset(next, newPassword); st != 200 || !strings.Contains(body, "Password changed") {
			t.Fatalf("reset: %d %.300s", st, body)
		}
		if st, _ := reset(next, "Harbor-Quartz-Meadow-Tangerine-23"); st != 400 {
			t.Fatalf("link used twice: %d", st)
		}
		// Sessions ended: the earlier sign-in's refresh token is dead.
		if st, body := e.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, id, secret); st != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("refresh after reset: %d %v", st, body)
		}
		if m := waitMail(t, ms.srv, agentEmail); !strings.Contains(m.Subject, "password was changed") {
			t.Fatalf("second email: %q", m.Subject)
		}
		if q := e.browser().login(r.authURL("n", pkceOpt()), agentEmail, newPassword); q.Get("code") == "" {
			t.Fatal("new password does not sign in")
		}
		// Links expire after 30 minutes.
		ask(agentEmail)
		link = linkRE.FindString(waitMail(t, ms.srv, agentEmail).Text)
		e.clock.Advance(30*time.Minute + time.Second)
		_, page = b.get(link)
		if st, body := reset(hiddenToken.FindStringSubmatch(page)[1], "Harbor-Quartz-Meadow-Tangerine-23"); st != 400 || !strings.Contains(body, "Link not valid") {
			t.Fatalf("expired link: %d", st)
		}
		if n := policyMessages(ms.srv); n != 3 { // two links and one "changed" notice; nothing for the unknown address
			t.Fatalf("%d messages sent", n)
		}
		// At most three links per account per 30 minutes; more requests get the same answer.
		for i := 0; i < 5; i++ {
			if st, body := ask(agentEmail); st != st1 || body != body1 {
				t.Fatalf("request %d answered differently", i)
			}
		}
		if req, sup := len(e.auditEvents("password_reset.requested")), len(e.auditEvents("password_reset.suppressed")); req != 5 || sup != 2 {
			t.Fatalf("reset requests: %d mailed, %d suppressed", req, sup)
		}
	})
}

// pkceOpt is a PKCE challenge option when the verifier is not needed.
func pkceOpt() oauth2.AuthCodeOption {
	_, ch := pkce()
	return ch
}

// TestPasswordResetSecondFactor: a user with an authenticator app must add
// a code (or a backup code) to the reset form unless the tenant allows
// resets without a second factor; wrong codes are refused and counted.
func TestPasswordResetSecondFactor(t *testing.T) {
	ms := new(mailBox)
	forEachBackendOpts(t, func(t *testing.T, o *idp.Options) { ms.srv, o.EmailSender = mailServer(t) }, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		e.setMFA("always", []string{"totp"}, 0)
		b := e.browser()
		resp, body := b.passwordStep(r.authURL("s", pkceOpt()))
		arID, ok := at2FA(resp, body)
		if !ok {
			t.Fatalf("expected the 2FA page: %d", resp.StatusCode)
		}
		totpSecret, codesPage := b.enrollTOTPInLogin(arID)
		backup := backupCodesOn(codesPage)
		if len(backup) == 0 {
			t.Fatal("no backup codes")
		}
		reset := func(token, code, pw string) (int, string) {
			resp, body := b.post(e.issuer+"/login/reset", url.Values{"token": {token}, "password": {pw}, "confirm": {pw}, "code": {code}})
			return resp.StatusCode, body
		}
		link := func() string {
			b.post(e.issuer+"/login/forgot", url.Values{"email": {agentEmail}})
			for {
				m := waitMail(t, ms.srv, agentEmail)
				if l := linkRE.FindString(m.Text); l != "" {
					_, page := b.get(l)
					if !strings.Contains(page, `name="code"`) {
						t.Fatal("reset form has no second-factor field")
					}
					return hiddenToken.FindStringSubmatch(page)[1]
				}
			}
		}
		token := link()
		st, body := reset(token, "", newPassword)
		if st != 400 || !strings.Contains(body, "Enter a code from your authenticator app") {
			t.Fatalf("no code: %d %.300s", st, body)
		}
		st, body = reset(hiddenToken.FindStringSubmatch(body)[1], "000000", newPassword)
		if st != 400 || !strings.Contains(body, "That code is not correct") {
			t.Fatalf("wrong code: %d", st)
		}
		e.clock.Advance(30 * time.Second) // the enrollment used the current step
		st, body = reset(hiddenToken.FindStringSubmatch(body)[1], oathtool(t, totpSecret, e.clock.Now()), newPassword)
		if st != 200 || !strings.Contains(body, "Password changed") {
			t.Fatalf("right TOTP code: %d %.300s", st, body)
		}
		// A backup code works too.
		st, body = reset(link(), backup[0], "Harbor-Quartz-Meadow-Tangerine-23")
		if st != 200 || !strings.Contains(body, "Password changed") {
			t.Fatalf("backup code: %d %.300s", st, body)
		}
		if n := len(e.auditEvents("password_reset.second_factor")); n != 2 {
			t.Fatalf("%d second-factor passes audited", n)
		}
		// The tenant may allow resets by email alone.
		e.updateTenant(func(s *store.TenantSettings) { s.PasswordResetWithoutSecondFactor = true })
		if st, body := reset(link(), "", "Orchard-Velvet-Compass-Lantern-58"); st != 200 {
			t.Fatalf("reset without a factor when allowed: %d %.300s", st, body)
		}
	})
}
