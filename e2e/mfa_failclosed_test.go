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

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Issue 8, defect 1: the second-factor step must never fail open into
// enrolment. An account with a verified factor or unused backup codes
// verifies with what it has (whatever the tenant now allows to enrol, and
// whichever senders this server has); when nothing it has can be used the
// sign-in is refused with an "ask your administrator" page.

const enrolTitle = "Set up a second sign-in method"

// refusesEnrolment posts every enrolment entry of the login transaction id
// and fails the test if one of them starts or finishes an enrolment.
func (b *browser) refusesEnrolment(id string) {
	b.e.t.Helper()
	for _, path := range []string{"/enroll", "/enroll/verify", "/webauthn/register/begin", "/webauthn/register/finish"} {
		resp, body := b.mfaPost(path, id, url.Values{"kind": {"totp"}, "code": {"123456"}, "credential": {"{}"}})
		if resp.StatusCode < 400 || secretRE.MatchString(body) || strings.Contains(body, `"challenge"`) || strings.Contains(body, `id="backup-codes"`) {
			b.e.t.Fatalf("POST /login/2fa%s for a user with factors: %d %.400s", path, resp.StatusCode, body)
		}
	}
}

// addFactor stores a verified factor for u, as if enrolled earlier (on a
// replica with other senders, or before the tenant changed its methods).
func (e *env) addFactor(u *store.User, kind, dest string, makeDefault bool) *store.Factor {
	e.t.Helper()
	ctx := context.Background()
	f := &store.Factor{ID: store.NewID(), TenantID: e.acme.ID, UserID: u.ID, Kind: kind, Name: kind, Destination: dest,
		Verified: true, CreatedAt: e.clock.Now()}
	if kind == store.FactorWebAuthn {
		f.CredentialID, f.UserHandle, f.Credential = []byte("cred-"+f.ID), []byte("handle-"+u.ID), []byte(`{}`)
	}
	if err := e.store.CreateFactor(ctx, f); err != nil {
		e.t.Fatal(err)
	}
	if makeDefault {
		if err := e.store.SetDefaultFactor(ctx, e.acme.ID, u.ID, f.ID); err != nil {
			e.t.Fatal(err)
		}
	}
	return f
}

// TestMFAMethodDisabledAfterEnrolment is the reproduction: a user
// enrols SMS and gets backup codes, the tenant stops offering SMS, and a
// fresh browser with the password must still be challenged for the SMS
// code, never offered enrolment.
func TestMFAMethodDisabledAfterEnrolment(t *testing.T) {
	box, opt := withOutbox()
	forEachBackendWith(t, opt, func(t *testing.T, e *env) {
		outbox := *box
		id, secret := e.webClient()
		r := e.rp(id, secret)
		e.setMFA("always", []string{"totp", "sms", "email", "webauthn"}, 0)

		b := e.browser()
		_, authURL := r.start()
		arID, ok := at2FA(b.passwordStep(authURL))
		if !ok {
			t.Fatal("no second-factor step")
		}
		b.mfaPost("/enroll", arID, url.Values{"kind": {"sms"}, "phone": {"+4915112345678"}})
		resp, body := b.mfaPost("/enroll/verify", arID, url.Values{"code": {codeIn(t, lastSMS(t, outbox).Body)}})
		if !strings.Contains(body, `id="backup-codes"`) {
			t.Fatalf("sms enrolment: %d %.400s", resp.StatusCode, body)
		}
		if q := rpRedirectQuery(first(b.mfaPost("/codes", arID, nil))); q == nil {
			t.Fatal("sign-in did not complete after enrolment")
		}

		// tenant update default --mfa-methods totp,email,webauthn
		e.setMFA("always", []string{"totp", "email", "webauthn"}, 0)
		e.clock.Advance(2 * time.Minute) // past the SMS resend cooldown

		attacker := e.browser()
		verifier, authURL := r.start()
		resp, body = attacker.passwordStep(authURL)
		arID, ok = at2FA(resp, body)
		if !ok || strings.Contains(body, enrolTitle) || !strings.Contains(body, "Text message to") {
			t.Fatalf("password alone reached: %d %.600s", resp.StatusCode, body)
		}
		attacker.refusesEnrolment(arID)

		// The owner's SMS still verifies.
		fid := factorRE.FindStringSubmatch(body)[1]
		attacker.mfaPost("/send", arID, url.Values{"factor": {fid}})
		resp, body = attacker.mfaPost("", arID, url.Values{"factor": {fid}, "code": {codeIn(t, lastSMS(t, outbox).Body)}})
		c := r.exchange(rpRedirectQuery(resp), verifier)
		if c.ACR != policy.ACRMFA {
			t.Fatalf("acr %q after the SMS code (%d %.300s)", c.ACR, resp.StatusCode, body)
		}
		if got := e.auditTypes(e.agent().ID); slices.Contains(got, "mfa.factor.enrolled") && countOf(got, "mfa.factor.enrolled") != 1 {
			t.Fatalf("a second factor was enrolled: %v", got)
		}
	})
}

// TestMFAUndeliverableFactorsFallBack: on a server without SMS or email
// senders and with passkeys off (an invalid RP id), a user's factors of
// those kinds cannot verify; the challenge falls back to the user's other
// factors, then to backup codes, and never to enrolment.
func TestMFAUndeliverableFactorsFallBack(t *testing.T) {
	opt := func(o *idp.Options) { o.WebAuthnRPID = "not a domain" }
	forEachBackendWith(t, opt, func(t *testing.T, e *env) {
		ctx := context.Background()
		id, secret := e.webClient()
		r := e.rp(id, secret)
		e.setMFA("always", []string{"totp", "sms", "email", "webauthn"}, 0)
		u := e.agent()

		b := e.browser()
		_, authURL := r.start()
		arID, _ := at2FA(b.passwordStep(authURL))
		totpSecret, codesPage := b.enrollTOTPInLogin(arID)
		codes := backupCodesOn(codesPage)
		b.mfaPost("/codes", arID, url.Values{"saved": {"on"}})
		var totpID string
		if fs, _ := e.store.ListFactors(ctx, e.acme.ID, u.ID); len(fs) == 1 {
			totpID = fs[0].ID
		}

		// Passkeys unavailable: the default passkey falls back to the app.
		e.addFactor(u, store.FactorWebAuthn, "", true)
		e.clock.Advance(time.Minute)
		c := e.browser()
		verifier, authURL := r.start()
		resp, body := c.passwordStep(authURL)
		arID, ok := at2FA(resp, body)
		if !ok || strings.Contains(body, enrolTitle) || !strings.Contains(body, `name="factor" value="`+totpID+`"`) {
			t.Fatalf("passkeys unavailable: %d %.600s", resp.StatusCode, body)
		}
		c.refusesEnrolment(arID)
		resp, _ = c.mfaPost("", arID, url.Values{"factor": {totpID}, "code": {oathtool(t, totpSecret, e.clock.Now())}})
		if cl := r.exchange(rpRedirectQuery(resp), verifier); cl.ACR != policy.ACRMFA {
			t.Fatalf("acr %q", cl.ACR)
		}

		// Sender missing: a default SMS factor falls back to the app too.
		e.addFactor(u, store.FactorSMS, "+4915112345678", true)
		e.addFactor(u, store.FactorEmail, agentEmail, false)
		e.clock.Advance(time.Minute)
		c = e.browser()
		_, authURL = r.start()
		resp, body = c.passwordStep(authURL)
		arID, ok = at2FA(resp, body)
		if !ok || strings.Contains(body, enrolTitle) || !strings.Contains(body, `name="factor" value="`+totpID+`"`) || strings.Contains(body, "Text message to") {
			t.Fatalf("sender missing: %d %.600s", resp.StatusCode, body)
		}
		c.refusesEnrolment(arID)

		// Only backup codes left: the app is gone, the rest undeliverable.
		if err := e.store.DeleteFactor(ctx, e.acme.ID, u.ID, totpID); err != nil {
			t.Fatal(err)
		}
		c = e.browser()
		verifier, authURL = r.start()
		resp, body = c.passwordStep(authURL)
		arID, ok = at2FA(resp, body)
		if !ok || strings.Contains(body, enrolTitle) || !strings.Contains(body, `value="backup"`) {
			t.Fatalf("only backup codes: %d %.600s", resp.StatusCode, body)
		}
		c.refusesEnrolment(arID)
		resp, body = c.mfaPost("", arID, url.Values{"factor": {"backup"}, "code": {codes[0]}})
		if cl := r.exchange(rpRedirectQuery(resp), verifier); cl.ACR != policy.ACRMFA {
			t.Fatalf("acr %q (%.300s)", cl.ACR, body)
		}
	})
}

// TestMFANothingUsableRefuses: a user whose only factor cannot be used on
// this server and who has no backup codes is refused with a page that
// sends them to their administrator, and the refusal is audited.
func TestMFANothingUsableRefuses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		e.setMFA("always", []string{"totp", "sms"}, 0)
		u := e.agent()
		e.addFactor(u, store.FactorSMS, "+4915112345678", true) // no SMS sender on this server

		b := e.browser()
		_, authURL := r.start()
		resp, body := b.passwordStep(authURL)
		if resp.StatusCode != http.StatusForbidden || strings.Contains(body, enrolTitle) || !strings.Contains(body, "administrator") {
			t.Fatalf("nothing usable: %d %.600s", resp.StatusCode, body)
		}
		if q := rpRedirectQuery(resp); q != nil {
			t.Fatalf("redirected to the app: %v", q)
		}
		if got := e.auditTypes(u.ID); !slices.Contains(got, "mfa.unusable") {
			t.Fatalf("no mfa.unusable audit event: %v", got)
		}
		if fs, _ := e.store.ListFactors(context.Background(), e.acme.ID, u.ID); len(fs) != 1 {
			t.Fatalf("factors changed: %d", len(fs))
		}
	})
}

// TestMFAEnrolEntriesRefuseUserWithFactors: a sign-in that reached the
// enrolment step while the user had no factor (so no code was asked) cannot
// enrol once the user has one: every enrolment entry asks the same
// question again, including the ones whose ceremony was already begun.
func TestMFAEnrolEntriesRefuseUserWithFactors(t *testing.T) {
	rpID := func(o *idp.Options) { o.WebAuthnRPID = "localhost" } // see TestMFAPasskeys
	forEachBackendWith(t, rpID, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		e.setMFA("always", []string{"totp", "webauthn"}, 0)
		u := e.agent()

		b := e.browser()
		_, authURL := r.start()
		resp, body := b.passwordStep(authURL)
		arID, ok := at2FA(resp, body)
		if !ok || !strings.Contains(body, enrolTitle) {
			t.Fatalf("a user without factors enrols: %d %.300s", resp.StatusCode, body)
		}
		// Begin both ceremonies while enrolment is still allowed.
		_, body = b.mfaPost("/enroll", arID, url.Values{"kind": {"totp"}})
		m := secretRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no TOTP enrolment: %.300s", body)
		}
		totpSecret := strings.ReplaceAll(m[1], " ", "")
		dev := &passkeyDevice{auth: virtualwebauthn.NewAuthenticator(), cred: newP256Credential(t),
			rp: virtualwebauthn.RelyingParty{Name: "Gatehouse", ID: "localhost", Origin: e.hs.URL}}
		attestation := dev.register(t, b.beginJSON("/login/2fa/webauthn/register/begin", arID))

		// Meanwhile the account got a factor (another browser, an admin).
		e.addFactor(u, store.FactorTOTP, "", true)

		for _, tc := range []struct {
			path string
			form url.Values
		}{
			{"/enroll/verify", url.Values{"code": {oathtool(t, totpSecret, e.clock.Now())}}},
			{"/webauthn/register/finish", url.Values{"credential": {attestation}, "name": {"Key"}}},
			{"/enroll", url.Values{"kind": {"totp"}}},
			{"/webauthn/register/begin", nil},
		} {
			resp, body := b.mfaPost(tc.path, arID, tc.form)
			if resp.StatusCode < 400 || rpRedirectQuery(resp) != nil || strings.Contains(body, `id="backup-codes"`) || secretRE.MatchString(body) {
				t.Fatalf("POST /login/2fa%s after the user got a factor: %d %.400s", tc.path, resp.StatusCode, body)
			}
		}
		if resp, body := b.get(e.issuer + "/login/2fa?id=" + arID); strings.Contains(body, enrolTitle) && resp.StatusCode == http.StatusOK {
			t.Fatalf("the enrolment page is still offered: %.300s", body)
		}
		fs, _ := e.store.ListFactors(context.Background(), e.acme.ID, u.ID)
		verified := 0
		for _, f := range fs {
			if f.Verified {
				verified++
			}
		}
		if verified != 1 {
			t.Fatalf("%d verified factors, want only the one added meanwhile", verified)
		}
		if got := e.auditTypes(u.ID); !slices.Contains(got, "mfa.enroll.refused") {
			t.Fatalf("no mfa.enroll.refused audit event: %v", got)
		}
	})
}

func first(resp *http.Response, _ string) *http.Response { return resp }

func countOf(list []string, v string) int {
	n := 0
	for _, x := range list {
		if x == v {
			n++
		}
	}
	return n
}
