package e2e

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/federation/fedtest"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
)

// TestMFAFederatedSignIn: a federated sign-in passes the same second-factor
// step as a password (the JIT-provisioned user enrolls at once, later ones
// are challenged), and the amr of an untrusted upstream is not carried; a connection
// that trusts the upstream's MFA claim skips the step when the upstream
// asserted MFA, and only then.
func TestMFAFederatedSignIn(t *testing.T) {
	forEachBackendFed(t, func(t *testing.T, e *env) {
		e.setMFA("always", nil, 0)
		id, secret := e.webClient()
		r := e.rp(id, secret)

		// An upstream that did not assert MFA, on a connection that would not trust it anyway.
		up := fedtest.Generic(t, fedtest.User{Subject: "okta-1", Email: "fed.agent@acme.test", EmailVerified: yes(), AMR: []string{"pwd"}})
		conn := e.connect(up, manage.ConnectionSpec{Kind: "oidc", Name: "Okta", JIT: true, DefaultRole: "agent"})
		b := e.browser()
		v, page := r.loginPage(b)
		res := b.federated(page, conn.ID, up)
		arID, ok := at2FA(res.resp, res.body)
		if !ok || res.rpQ != nil {
			t.Fatalf("federated sign-in skipped the second factor: %d %.300s", res.resp.StatusCode, res.body)
		}
		secretTOTP, _ := b.enrollTOTPInLogin(arID)
		resp, _ := b.mfaPost("/codes", arID, nil)
		c := r.exchange(rpRedirectQuery(resp), v)
		if !slices.Equal(c.AMR, []string{"fed", "otp", "mfa"}) || c.ACR != policy.ACRMFA || c.Email != "fed.agent@acme.test" {
			t.Fatalf("federated + TOTP: amr %v acr %q", c.AMR, c.ACR)
		}

		// Next federated sign-in: challenged, code from oathtool.
		e.clock.Advance(30 * time.Second) // one TOTP step
		b2 := e.browser()
		v, page = r.loginPage(b2)
		res = b2.federated(page, conn.ID, up)
		arID, ok = at2FA(res.resp, res.body)
		if !ok {
			t.Fatalf("second federated sign-in: %d %.300s", res.resp.StatusCode, res.body)
		}
		fid := factorRE.FindStringSubmatch(res.body)[1]
		resp, _ = b2.mfaPost("", arID, url.Values{"factor": {fid}, "code": {oathtool(t, secretTOTP, e.clock.Now())}})
		if c = r.exchange(rpRedirectQuery(resp), v); c.ACR != policy.ACRMFA {
			t.Fatalf("challenged federated sign-in: acr %q", c.ACR)
		}

		// A connection that trusts the upstream's MFA claim.
		upMFA := fedtest.Generic(t, fedtest.User{Subject: "entra-2", Email: "trusted.agent@acme.test", EmailVerified: yes(), AMR: []string{"pwd", "mfa"}})
		trusted := e.connect(upMFA, manage.ConnectionSpec{Kind: "oidc", Name: "Trusted", JIT: true, DefaultRole: "agent", AcceptUpstreamMFA: true})
		b3 := e.browser()
		v, page = r.loginPage(b3)
		c = r.redeem(b3.federated(page, trusted.ID, upMFA), v)
		if !slices.Contains(c.AMR, "mfa") || c.ACR != policy.ACRMFA {
			t.Fatalf("trusted upstream MFA: amr %v acr %q", c.AMR, c.ACR)
		}
		// The same trusting connection, but the upstream did not do MFA this time.
		upMFA.SetUser(fedtest.User{Subject: "entra-2", Email: "trusted.agent@acme.test", EmailVerified: yes(), AMR: []string{"pwd"}})
		b4 := e.browser()
		_, page = r.loginPage(b4)
		res = b4.federated(page, trusted.ID, upMFA)
		if _, ok := at2FA(res.resp, res.body); !ok {
			t.Fatalf("upstream without MFA skipped the step: %d %.300s", res.resp.StatusCode, res.body)
		}
	})
}
