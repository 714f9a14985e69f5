package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Linking by email when the local account proves itself with a second
// factor instead of a password: the account was created just in time
// through one connection (so it has no password) and enrolled a second
// factor; a second connection with the same verified email asks for proof.

const nopwEmail = "nopw.agent@acme.test"

// proofFixture is a password-less user created through "Okta" and a
// Google-like connection that links with proof.
type proofFixture struct {
	r       *rp
	user    *store.User
	google  *fedtest.Provider
	conn    *manage.ConnectionView
	linkURL string
}

// newProofFixture signs the user in through Okta once (JIT); enroll, when
// set, runs on the second-factor page of that sign-in and returns the page
// the sign-in ended on.
func newProofFixture(t *testing.T, e *env, enroll func(b *browser, arID string) *http.Response) *proofFixture {
	t.Helper()
	id, secret := e.webClient()
	fx := &proofFixture{r: e.rp(id, secret)}
	okta := fedtest.Generic(t, fedtest.User{Subject: "okta-nopw", Email: nopwEmail, EmailVerified: yes()})
	oc := e.connect(okta, manage.ConnectionSpec{Kind: "oidc", Name: "Okta", JIT: true, DefaultRole: "agent"})
	b := e.browser()
	v, page := fx.r.loginPage(b)
	res := b.federated(page, oc.ID, okta)
	if enroll != nil {
		arID, ok := at2FA(res.resp, res.body)
		if !ok {
			t.Fatalf("JIT sign-in: want the second-factor step, got %d %.300s", res.resp.StatusCode, res.body)
		}
		res.resp = enroll(b, arID)
		res.rpQ = rpRedirectQuery(res.resp)
	}
	fx.r.redeem(res, v)
	fx.user = e.userByEmail(nopwEmail)
	if fx.user == nil || fx.user.PasswordHash != "" {
		t.Fatalf("want a JIT user without a password: %+v", fx.user)
	}
	fx.google = fedtest.GoogleLike(t, fedtest.User{Subject: "g-nopw", Email: nopwEmail, EmailVerified: yes()})
	fx.conn = e.connect(fx.google, manage.ConnectionSpec{Kind: "google", LinkMode: "verified_email_with_proof"})
	fx.linkURL = e.issuer + "/login/federated/" + fx.conn.ID + "/link"
	return fx
}

// enrollTOTP is an enroll func of newProofFixture; it stores the secret.
func enrollTOTP(secret *string) func(b *browser, arID string) *http.Response {
	return func(b *browser, arID string) *http.Response {
		*secret, _ = b.enrollTOTPInLogin(arID)
		resp, _ := b.mfaPost("/codes", arID, nil)
		return resp
	}
}

// proofPage signs in with Google on a new browser and expects the proof
// page offering second factors and no password; it returns the first
// factor's id.
func (fx *proofFixture) proofPage(e *env, b *browser) (verifier, factorID, body string) {
	e.t.Helper()
	v, page := fx.r.loginPage(b)
	res := b.federated(page, fx.conn.ID, fx.google)
	if res.rpQ != nil || res.resp.StatusCode != http.StatusOK || !strings.Contains(res.body, "with your second sign-in method") {
		e.t.Fatalf("want the proof page, got %d: %.600s", res.resp.StatusCode, res.body)
	}
	if strings.Contains(res.body, `name="password"`) {
		e.t.Fatal("the proof page offers a password the account does not have")
	}
	m := factorRE.FindStringSubmatch(res.body)
	if m == nil || m[1] == "backup" {
		e.t.Fatalf("no second factor on the proof page: %.800s", res.body)
	}
	return v, m[1], res.body
}

func (e *env) factorFailures(userID string) int {
	e.t.Helper()
	n, err := e.store.FactorFailures(context.Background(), e.acme.ID, userID, e.clock.Now().Add(-time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestFederationProofTOTP: a user without a password proves the account
// with an authenticator code (computed by oathtool) and is linked. The code
// counts as the sign-in's second factor, so the tenant's "always" policy
// does not ask again; the next Google sign-in goes through the link and
// passes the second-factor step as usual.
func TestFederationProofTOTP(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		e.setMFA("always", nil, 0)
		var secret string
		fx := newProofFixture(t, e, enrollTOTP(&secret))
		e.clock.Advance(30 * time.Second) // the enrollment code's step is spent

		b := e.browser()
		v, fid, page := fx.proofPage(e, b)
		if !strings.Contains(page, "Authenticator app") || !strings.Contains(page, `name="factor" value="backup"`) {
			t.Fatalf("proof page should offer the app and a backup code: %.800s", page)
		}
		if len(e.links(fx.user.ID)) != 1 {
			t.Fatal("linked before proof")
		}
		resp, body := b.post(fx.linkURL, url.Values{"factor": {fid}, "code": {oathtool(t, secret, e.clock.Now())}})
		c := fx.r.redeem(fedResult{resp: resp, body: body, rpQ: rpRedirectQuery(resp)}, v)
		if !slices.Equal(c.AMR, []string{"fed", "otp", "mfa"}) || c.ACR != policy.ACRMFA || c.Email != nopwEmail || c.Sub != fx.user.ID {
			t.Fatalf("claims after TOTP proof: amr %v acr %q email %s sub %s", c.AMR, c.ACR, c.Email, c.Sub)
		}
		if l := e.links(fx.user.ID); len(l) != 2 || !slices.ContainsFunc(l, func(l *store.Link) bool { return l.Subject == "g-nopw" }) {
			t.Fatalf("links after proof: %+v", l)
		}
		if !e.hasEvent(audit.FederationProofPassed, "proof", "totp") || !e.hasEvent(audit.FederationLink, "via", "email_proof") {
			t.Fatal("proof or link not audited")
		}
		if !e.hasEvent("mfa.not_required", "reason", "primary_mfa") {
			t.Fatal("the policy step did not count the proof as the second factor")
		}

		// Federated sign-in through the new link: the policy's step, then the app.
		e.clock.Advance(30 * time.Second)
		b2 := e.browser()
		v2, page2 := fx.r.loginPage(b2)
		res := b2.federated(page2, fx.conn.ID, fx.google)
		arID, ok := at2FA(res.resp, res.body)
		if !ok {
			t.Fatalf("linked sign-in: want the second-factor step, got %d %.300s", res.resp.StatusCode, res.body)
		}
		resp, _ = b2.mfaPost("", arID, url.Values{"factor": {fid}, "code": {oathtool(t, secret, e.clock.Now())}})
		if c2 := fx.r.exchange(rpRedirectQuery(resp), v2); c2.Sub != fx.user.ID || c2.ACR != policy.ACRMFA {
			t.Fatalf("linked sign-in: sub %s acr %q", c2.Sub, c2.ACR)
		}
	})
}

// TestFederationProofTOTPRefusals: the code already used (at enrollment)
// is refused as a replay, a wrong code is refused; both count an attempt of
// the proof and a failure of the account; five end the attempt unlinked.
func TestFederationProofTOTPRefusals(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		e.setMFA("always", nil, 0)
		var secret string
		fx := newProofFixture(t, e, enrollTOTP(&secret))
		used := oathtool(t, secret, e.clock.Now()) // accepted at enrollment, same step

		b := e.browser()
		_, fid, _ := fx.proofPage(e, b)
		before := e.factorFailures(fx.user.ID)
		resp, body := b.post(fx.linkURL, url.Values{"factor": {fid}, "code": {used}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "That code was already used") {
			t.Fatalf("replayed TOTP code: %d %.400s", resp.StatusCode, body)
		}
		if !e.hasEvent(audit.FederationRefused, "why", "replayed") {
			t.Fatal("replay not audited")
		}
		wrong := "000000"
		if wrong == used {
			wrong = "111111"
		}
		resp, body = b.post(fx.linkURL, url.Values{"factor": {fid}, "code": {wrong}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "That code is not correct") {
			t.Fatalf("wrong TOTP code: %d %.400s", resp.StatusCode, body)
		}
		if !e.hasEvent(audit.FederationRefused, "attempt", "2") || !e.hasEvent(audit.FederationRefused, "why", "wrong_code") {
			t.Fatal("wrong code not audited as the second attempt")
		}
		if got := e.factorFailures(fx.user.ID) - before; got != 2 {
			t.Fatalf("account failures counted: %d, want 2", got)
		}
		if len(e.links(fx.user.ID)) != 1 {
			t.Fatal("a refused code linked the account")
		}
		// A password is no proof for an account that has none.
		resp, body = b.post(fx.linkURL, url.Values{"password": {agentPassword}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Incorrect password") {
			t.Fatalf("password for a password-less account: %d %.300s", resp.StatusCode, body)
		}
		for range 2 {
			b.post(fx.linkURL, url.Values{"factor": {fid}, "code": {wrong}})
		}
		if !e.hasEvent(audit.FederationRefused, "reason", "proof_attempts_exhausted") {
			t.Fatal("five wrong proofs did not end the attempt")
		}
		e.clock.Advance(30 * time.Second)
		resp, _ = b.post(fx.linkURL, url.Values{"factor": {fid}, "code": {oathtool(t, secret, e.clock.Now())}})
		if rpRedirectQuery(resp) != nil || resp.StatusCode != http.StatusBadRequest || len(e.links(fx.user.ID)) != 1 {
			t.Fatalf("a right code after the attempts ran out: %d, links %d", resp.StatusCode, len(e.links(fx.user.ID)))
		}
	})
}

// TestFederationProofEmailCode: an email code sent through the real SMTP
// test server proves the account (a code must come from the proof's own
// "send"). An email code is not a second factor (acr), so the tenant's
// "always" policy still asks for one after linking.
func TestFederationProofEmailCode(t *testing.T) {
	smtpp, withMail := withSMTP(t)
	opt := func(o *idp.Options) {
		withMail(o)
		o.UpstreamHTTPClient = &http.Client{Timeout: upTimeout}
	}
	forEachBackendWith(t, opt, func(t *testing.T, e *env) {
		smtp := *smtpp
		e.setMFA("always", []string{"email"}, 0)
		fx := newProofFixture(t, e, func(b *browser, arID string) *http.Response {
			b.mfaPost("/enroll", arID, url.Values{"kind": {"email"}})
			msg := nextMail(t, smtp, nopwEmail, "code")
			b.mfaPost("/enroll/verify", arID, url.Values{"code": {codeIn(t, msg.Text)}})
			resp, _ := b.mfaPost("/codes", arID, nil)
			return resp
		})
		e.clock.Advance(61 * time.Second) // resend cooldown

		b := e.browser()
		v, fid, page := fx.proofPage(e, b)
		if !strings.Contains(page, "Email to") || !strings.Contains(page, "/link/send") {
			t.Fatalf("proof page should offer an email code: %.800s", page)
		}
		resp, body := b.post(fx.linkURL, url.Values{"factor": {fid}, "code": {"123456"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "No code was sent yet") {
			t.Fatalf("code before sending: %d %.300s", resp.StatusCode, body)
		}
		resp, body = b.post(fx.linkURL+"/send", url.Values{"factor": {fid}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "We sent you a code") {
			t.Fatalf("send proof code: %d %.300s", resp.StatusCode, body)
		}
		msg := nextMail(t, smtp, nopwEmail, "code")
		resp, body = b.post(fx.linkURL, url.Values{"factor": {fid}, "code": {codeIn(t, msg.Text)}})
		arID, ok := at2FA(resp, body)
		if !ok {
			t.Fatalf("after an email-code proof: want the policy's second-factor step, got %d %.300s", resp.StatusCode, body)
		}
		if len(e.links(fx.user.ID)) != 2 || !e.hasEvent(audit.FederationProofPassed, "proof", "email") {
			t.Fatal("email-code proof did not link or was not audited")
		}
		// The proof's code was single-use: the step needs a code of its own.
		resp, _ = b.mfaPost("", arID, url.Values{"factor": {fid}, "code": {codeIn(t, msg.Text)}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("the proof's code reused at the second-factor step: %d", resp.StatusCode)
		}
		e.clock.Advance(61 * time.Second)
		b.mfaPost("/send", arID, url.Values{"factor": {fid}})
		msg = nextMail(t, smtp, nopwEmail, "code")
		resp, _ = b.mfaPost("", arID, url.Values{"factor": {fid}, "code": {codeIn(t, msg.Text)}})
		c := fx.r.exchange(rpRedirectQuery(resp), v)
		if !slices.Equal(c.AMR, []string{"fed", "email"}) || c.ACR != policy.ACRPassword || c.Sub != fx.user.ID {
			t.Fatalf("claims: amr %v acr %q sub %s", c.AMR, c.ACR, c.Sub)
		}
	})
}

// TestFederationProofNothingToProve: an account with neither a password
// nor a second factor cannot be linked by email; the user is told why.
func TestFederationProofNothingToProve(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		fx := newProofFixture(t, e, nil) // the tenant's policy is "never": no factor
		b := e.browser()
		_, page := fx.r.loginPage(b)
		res := b.federated(page, fx.conn.ID, fx.google)
		e.refused(res, http.StatusForbidden, "no_proof_available", "has no password or second factor to confirm it is yours")
		if len(e.links(fx.user.ID)) != 1 {
			t.Fatal("linked without proof")
		}
	})
}

// TestFederationProofPasskey: a passkey-only account (no password, no
// code factor) proves itself with its passkey through the same WebAuthn
// checks as the second-factor step; the ceremony works once.
func TestFederationProofPasskey(t *testing.T) {
	opt := func(o *idp.Options) {
		o.WebAuthnRPID = "localhost" // see TestMFAPasskeys
		o.UpstreamHTTPClient = &http.Client{Timeout: upTimeout}
	}
	forEachBackendWith(t, opt, func(t *testing.T, e *env) {
		e.setMFA("always", []string{"webauthn"}, 0)
		dev := &passkeyDevice{auth: virtualwebauthn.NewAuthenticator(), cred: newP256Credential(t),
			rp: virtualwebauthn.RelyingParty{Name: "Gatehouse", ID: "localhost", Origin: e.hs.URL}}
		fx := newProofFixture(t, e, func(b *browser, arID string) *http.Response {
			att := dev.register(t, b.beginJSON("/login/2fa/webauthn/register/begin", arID))
			b.mfaPost("/webauthn/register/finish", arID, url.Values{"credential": {att}, "name": {"Laptop"}})
			resp, _ := b.mfaPost("/codes", arID, nil)
			return resp
		})
		// Backup codes were shown at enrollment; take them away so the
		// passkey is the only proof left.
		if err := e.store.ReplaceBackupCodes(context.Background(), &store.BackupCodeSet{ID: store.NewID(), TenantID: e.acme.ID, UserID: fx.user.ID,
			CreatedAt: e.clock.Now()}); err != nil {
			t.Fatal(err)
		}

		b := e.browser()
		v, page := fx.r.loginPage(b)
		res := b.federated(page, fx.conn.ID, fx.google)
		if res.resp.StatusCode != http.StatusOK || !strings.Contains(res.body, "Use passkey") || !strings.Contains(res.body, "/static/webauthn.js") ||
			strings.Contains(res.body, `name="password"`) || strings.Contains(res.body, `name="code"`) {
			t.Fatalf("want a passkey-only proof page, got %d: %.800s", res.resp.StatusCode, res.body)
		}
		begin := fx.linkURL + "/webauthn/begin"
		resp, options := b.post(begin, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("begin: %d %s", resp.StatusCode, options)
		}
		// A key that is not the account's is refused, and the attempt counts.
		stranger := &passkeyDevice{auth: dev.auth, cred: newP256Credential(t), rp: dev.rp}
		before := e.factorFailures(fx.user.ID)
		resp, body := b.post(fx.linkURL+"/webauthn/finish", url.Values{"credential": {stranger.assert(t, options, 1)}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "could not be verified") || len(e.links(fx.user.ID)) != 1 {
			t.Fatalf("someone else's key: %d %.300s", resp.StatusCode, body)
		}
		if e.factorFailures(fx.user.ID) != before+1 {
			t.Fatal("a refused passkey did not count against the account")
		}
		if !e.hasEvent(audit.FederationRefused, "proof", "webauthn") {
			t.Fatal("refused passkey proof not audited")
		}
		// The ceremony was taken by that attempt: the same options cannot be answered again.
		resp, body = b.post(fx.linkURL+"/webauthn/finish", url.Values{"credential": {dev.assert(t, options, 2)}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "did not answer in time") {
			t.Fatalf("second answer to one ceremony: %d %.300s", resp.StatusCode, body)
		}
		_, options = b.post(begin, nil)
		resp, body = b.post(fx.linkURL+"/webauthn/finish", url.Values{"credential": {dev.assert(t, options, 3)}})
		c := fx.r.redeem(fedResult{resp: resp, body: body, rpQ: rpRedirectQuery(resp)}, v)
		if !slices.Equal(c.AMR, []string{"fed", "hwk", "mfa"}) || c.ACR != policy.ACRPhishingResistant || c.Sub != fx.user.ID {
			t.Fatalf("claims after passkey proof: amr %v acr %q sub %s", c.AMR, c.ACR, c.Sub)
		}
		if len(e.links(fx.user.ID)) != 2 || !e.hasEvent(audit.FederationProofPassed, "proof", "webauthn") {
			t.Fatal("passkey proof did not link or was not audited")
		}
	})
}
