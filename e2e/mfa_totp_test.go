package e2e

import (
	"context"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

var qrRE = regexp.MustCompile(`<img src="data:image/png;base64,([^"]+)"`)

// zbarimg decodes the QR code of a page with zbar, as a phone camera would.
func zbarimg(t *testing.T, page string) string {
	t.Helper()
	m := qrRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no QR code image: %.300s", page)
	}
	png, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1])) // "+" arrives as &#43;
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatal(err)
	}
	bin, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg is required (apt-get install zbar-tools; ./scripts/test.sh installs it)")
	}
	out, err := exec.Command(bin, "--quiet", "--raw", path).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestMFATOTPAccountEnrollQR: a second authenticator added from the account
// page; its QR code, read by zbar, carries the secret shown as text, and a
// code computed from it by oathtool activates it.
func TestMFATOTPAccountEnrollQR(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.setMFA("always", nil, 0)
		b := e.browser()
		_, body := b.get(e.issuer + "/account")
		m := hiddenID.FindStringSubmatch(body)
		resp, body := b.post(e.issuer+"/login", url.Values{"id": {m[1]}, "email": {agentEmail}, "password": {agentPassword}})
		arID, _ := at2FA(resp, body)
		b.enrollTOTPInLogin(arID)
		b.mfaPost("/codes", arID, nil)

		e.clock.Advance(30 * time.Second)
		_, page := b.post(e.issuer+"/account/security/enroll", url.Values{"kind": {"totp"}})
		u, err := url.Parse(zbarimg(t, page))
		if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("issuer") != "Acme Support" ||
			!strings.HasSuffix(u.Path, agentEmail) {
			t.Fatalf("QR payload: %v %v", u, err)
		}
		shown := strings.ReplaceAll(secretRE.FindStringSubmatch(page)[1], " ", "")
		if u.Query().Get("secret") != shown || len(shown) < 32 { // 160 bits = 32 base32 symbols
			t.Fatalf("QR secret %q, text %q", u.Query().Get("secret"), shown)
		}
		fid := regexp.MustCompile(`name="factor" value="([^"]+)"`).FindStringSubmatch(page)[1]
		_, page = b.post(e.issuer+"/account/security/verify", url.Values{"factor": {fid}, "code": {oathtool(t, shown, e.clock.Now())}})
		if strings.Count(page, `<li id="factor-`) != 2 || !strings.Contains(page, "Your new sign-in method is ready") {
			t.Fatalf("second authenticator not active: %.400s", page)
		}
	})
}

// TestSecondFactorFailedNotice: the password was right but the second
// factor was not — the user is told by email, once per sign-in attempt.
func TestSecondFactorFailedNotice(t *testing.T) {
	smtpp, opt := withSMTP(t)
	forEachBackendWith(t, opt, func(t *testing.T, e *env) {
		smtp := *smtpp
		e.setMFA("always", []string{"totp"}, 0)
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		v, authURL := r.start()
		resp, body := b.passwordStep(authURL)
		arID, _ := at2FA(resp, body)
		totpSecret, _ := b.enrollTOTPInLogin(arID)
		resp, _ = b.mfaPost("/codes", arID, url.Values{"saved": {"on"}})
		r.exchange(rpRedirectQuery(resp), v)
		nextMail(t, smtp, agentEmail, "sign-in method was added")

		// Another browser knows the password, not the code.
		b2 := e.browser()
		_, authURL = r.start()
		resp, body = b2.passwordStep(authURL)
		arID, _ = at2FA(resp, body)
		fid := factorRE.FindStringSubmatch(body)[1]
		for i := 0; i < 2; i++ {
			if resp, _ := b2.mfaPost("", arID, url.Values{"factor": {fid}, "code": {"000000"}}); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong code %d: status %d", i, resp.StatusCode)
			}
		}
		m := nextMail(t, smtp, agentEmail, "failed the second step")
		if !strings.Contains(m.Text, "wrong second-factor code") || !strings.Contains(m.Text, "change it now") {
			t.Fatalf("notice text: %q", m.Text)
		}
		// Only one notice for the two failures of this attempt.
		if extra, err := smtp.WaitFor(agentEmail, 500*time.Millisecond); err == nil {
			t.Fatalf("a second notice for the same sign-in attempt: %q", extra.Subject)
		}
		// The right code still works afterwards.
		e.clock.Advance(30 * time.Second)
		resp, _ = b2.mfaPost("", arID, url.Values{"factor": {fid}, "code": {oathtool(t, totpSecret, e.clock.Now())}})
		if rpRedirectQuery(resp) == nil {
			t.Fatalf("right code after wrong ones: %d", resp.StatusCode)
		}
	})
}
