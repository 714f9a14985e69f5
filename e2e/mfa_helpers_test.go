package e2e

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Helpers for the second-factor suites (mfa_*_test.go).

// setMFA sets acme's second-factor policy.
func (e *env) setMFA(mode string, methods []string, rememberDays int) {
	e.t.Helper()
	ctx := context.Background()
	t, err := e.store.TenantByID(ctx, e.acme.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	t.Settings.MFAMode, t.Settings.MFAMethods, t.Settings.RememberDeviceDays = mode, methods, rememberDays
	if err := e.srv.Manage().UpdateTenant(ctx, t); err != nil {
		e.t.Fatal(err)
	}
	e.acme = t
}

// agent returns acme's agent user.
func (e *env) agent() *store.User {
	e.t.Helper()
	u, err := e.store.UserByEmail(context.Background(), e.acme.ID, agentEmail)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

var (
	secretRE   = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7 ]+)</code>`)
	factorRE   = regexp.MustCompile(`name="factor" value="([^"]+)"`)
	codeItemRE = regexp.MustCompile(`<li><code>([^<]+)</code></li>`)
)

// passwordStep starts a code flow and submits the password; it returns the
// response Gatehouse ended on (the 2FA page, or the redirect to the RP).
func (b *browser) passwordStep(authURL string) (*http.Response, string) {
	b.e.t.Helper()
	resp, body := b.get(authURL)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		b.e.t.Fatalf("expected the login page, got %d: %.300s", resp.StatusCode, body)
	}
	m := hiddenID.FindStringSubmatch(body)
	if m == nil {
		b.e.t.Fatal("no auth request id on the login page")
	}
	return b.post(b.e.issuer+"/login", url.Values{"id": {m[1]}, "email": {agentEmail}, "password": {agentPassword}})
}

// at2FA reports whether a response is the second-factor page and returns its id.
func at2FA(resp *http.Response, body string) (string, bool) {
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Request.URL.Path, "/login/2fa") {
		return "", false
	}
	m := hiddenID.FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// mfaPost posts a /login/2fa form.
func (b *browser) mfaPost(path, id string, form url.Values) (*http.Response, string) {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("id", id)
	return b.post(b.e.issuer+"/login/2fa"+path, form)
}

// enrollTOTPInLogin enrolls an authenticator app from the 2FA page of a
// user without factors and returns its secret and the backup codes page.
func (b *browser) enrollTOTPInLogin(id string) (secret string, codesPage string) {
	b.e.t.Helper()
	resp, body := b.mfaPost("/enroll", id, url.Values{"kind": {"totp"}})
	m := secretRE.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		b.e.t.Fatalf("no TOTP enrollment page (%d): %.500s", resp.StatusCode, body)
	}
	secret = strings.ReplaceAll(m[1], " ", "")
	resp, body = b.mfaPost("/enroll/verify", id, url.Values{"code": {oathtool(b.e.t, secret, b.e.clock.Now())}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="backup-codes"`) {
		b.e.t.Fatalf("expected the backup codes after enrollment, got %d: %.500s", resp.StatusCode, body)
	}
	return secret, body
}

// backupCodesOn extracts the codes shown on a page.
func backupCodesOn(page string) []string {
	var out []string
	for _, m := range codeItemRE.FindAllStringSubmatch(page, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// oathtool computes the TOTP code of a base32 secret at time at with
// Debian's oathtool, an implementation independent of Gatehouse's.
func oathtool(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		t.Fatal("oathtool is required (apt-get install oathtool; ./scripts/test.sh installs it)")
	}
	out, err := exec.Command(path, "--totp", "-b", "-N", fmt.Sprintf("@%d", at.Unix()), secret).CombinedOutput()
	if err != nil {
		t.Fatalf("oathtool: %v: %s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// exchange redeems the code of an RP redirect and returns the ID token claims.
func (r *rp) exchange(q url.Values, verifier string) idClaims {
	r.e.t.Helper()
	if q == nil || q.Get("code") == "" {
		r.e.t.Fatalf("no code in the RP redirect: %v", q)
	}
	tok, err := r.oauth.Exchange(r.e.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		r.e.t.Fatalf("exchange: %v", err)
	}
	_, c := r.idToken(tok)
	return c
}

// start returns a fresh PKCE verifier and the authorize URL.
func (r *rp) start(opts ...oauth2.AuthCodeOption) (string, string) {
	v, ch := pkce()
	return v, r.authURL("st-mfa", append(opts, ch, oidc.Nonce("n-mfa"))...)
}

// auditTypes lists the audit event types of acme, newest first.
func (e *env) auditTypes(userID string) []string {
	e.t.Helper()
	evs, err := e.store.ListAuditEvents(context.Background(), e.acme.ID, store.AuditQuery{UserID: userID, Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

func storeQuery(userID, typ string) store.AuditQuery {
	return store.AuditQuery{UserID: userID, Types: []string{typ}, Limit: 100}
}

// withOutbox delivers every email and text message to a dev outbox, a new
// one for each environment the returned option builds (*box is the latest).
func withOutbox() (box **notify.Outbox, opt func(*idp.Options)) {
	var current *notify.Outbox
	return &current, func(o *idp.Options) {
		current = notify.NewOutbox(0, nil)
		o.EmailSender = current
		o.SMSSenders, o.DefaultSMSProvider = map[string]notify.SMSSender{"fake": current}, "fake"
	}
}
