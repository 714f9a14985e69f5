package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/policy"
)

// TestMFATOTPEnrollAndSignIn: a tenant that always requires a second
// factor; the agent has none, enrolls an authenticator app during sign-in
// (codes from oathtool), sees backup codes once, and gets amr pwd+otp+mfa.
// The next sign-in asks for a code; a code replayed within its step is
// refused, the next step's code works; a backup code works once.
func TestMFATOTPEnrollAndSignIn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.setMFA("always", nil, 0)
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()

		v, authURL := r.start()
		resp, body := b.passwordStep(authURL)
		arID, ok := at2FA(resp, body)
		if !ok || !strings.Contains(body, `name="kind" value="totp"`) {
			t.Fatalf("expected the enrollment chooser, got %d: %.400s", resp.StatusCode, body)
		}
		totpSecret, codesPage := b.enrollTOTPInLogin(arID)
		codes := backupCodesOn(codesPage)
		if len(codes) != 10 {
			t.Fatalf("%d backup codes shown, want 10", len(codes))
		}
		// The .txt download works while the codes are unacknowledged.
		resp, txt := b.get(e.issuer + "/login/2fa/codes.txt?id=" + arID)
		if resp.StatusCode != http.StatusOK || !strings.Contains(txt, codes[0]) || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("codes.txt: %d %q", resp.StatusCode, txt)
		}
		resp, _ = b.mfaPost("/codes", arID, url.Values{"saved": {"on"}})
		c := r.exchange(rpRedirectQuery(resp), v)
		if !slices.Equal(c.AMR, []string{"pwd", "otp", "mfa"}) || c.ACR != policy.ACRMFA {
			t.Fatalf("after enrollment: amr %v acr %q", c.AMR, c.ACR)
		}

		// Second sign-in (a new browser): the code of the enrollment step is spent.
		b2 := e.browser()
		v, authURL = r.start()
		resp, body = b2.passwordStep(authURL)
		arID, ok = at2FA(resp, body)
		if !ok || !strings.Contains(body, "authenticator app") {
			t.Fatalf("expected the TOTP challenge, got %d: %.400s", resp.StatusCode, body)
		}
		fid := factorRE.FindStringSubmatch(body)[1]
		resp, body = b2.mfaPost("", arID, url.Values{"factor": {fid}, "code": {oathtool(t, totpSecret, e.clock.Now())}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "already used") {
			t.Fatalf("replayed code: %d %.300s", resp.StatusCode, body)
		}
		resp, body = b2.mfaPost("", arID, url.Values{"factor": {fid}, "code": {"000000"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not correct") {
			t.Fatalf("wrong code: %d %.300s", resp.StatusCode, body)
		}
		e.clock.Advance(30 * time.Second)
		code := oathtool(t, totpSecret, e.clock.Now())
		resp, _ = b2.mfaPost("", arID, url.Values{"factor": {fid}, "code": {code}})
		c = r.exchange(rpRedirectQuery(resp), v)
		if !slices.Equal(c.AMR, []string{"pwd", "otp", "mfa"}) {
			t.Fatalf("amr %v", c.AMR)
		}

		// The same code in a third sign-in, same step: refused (replay across logins).
		b3 := e.browser()
		_, authURL = r.start()
		resp, body = b3.passwordStep(authURL)
		arID, _ = at2FA(resp, body)
		resp, _ = b3.mfaPost("", arID, url.Values{"factor": {fid}, "code": {code}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("code replayed in another login accepted: %d", resp.StatusCode)
		}
		// A backup code works, once.
		v, authURL = r.start()
		resp, body = b3.passwordStep(authURL)
		arID, _ = at2FA(resp, body)
		resp, _ = b3.mfaPost("", arID, url.Values{"factor": {"backup"}, "code": {strings.ToLower(codes[3])}})
		c = r.exchange(rpRedirectQuery(resp), v)
		if !slices.Equal(c.AMR, []string{"pwd", "otp", "mfa"}) {
			t.Fatalf("backup code amr %v", c.AMR)
		}
		b4 := e.browser()
		_, authURL = r.start()
		resp, body = b4.passwordStep(authURL)
		arID, _ = at2FA(resp, body)
		resp, body = b4.mfaPost("", arID, url.Values{"factor": {"backup"}, "code": {codes[3]}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("backup code used twice: %d %.200s", resp.StatusCode, body)
		}

		types := e.auditTypes(e.agent().ID)
		for _, want := range []string{"mfa.required", "mfa.factor.enrolled", "mfa.backup_codes.generated", "mfa.challenge.succeeded",
			"mfa.challenge.failed", "mfa.backup_code.used"} {
			if !slices.Contains(types, want) {
				t.Errorf("audit event %s missing (have %v)", want, types)
			}
		}
		evs, _ := e.store.ListAuditEvents(context.Background(), e.acme.ID, storeQuery(e.agent().ID, "mfa.challenge.failed"))
		if len(evs) == 0 || evs[0].IP == "" || evs[0].UserAgent == "" || evs[0].Detail["kind"] == "" {
			t.Fatalf("failed attempt event lacks IP, device or kind: %+v", evs)
		}
	})
}
