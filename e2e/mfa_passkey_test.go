package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
)

// A software authenticator (descope/virtualwebauthn) drives the real
// endpoints: registration during sign-in, second factor, passwordless
// sign-in with user verification, and a cloned authenticator refused.

type passkeyDevice struct {
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
	rp   virtualwebauthn.RelyingParty
}

// newP256Credential redraws keys whose x or y has a leading zero byte
// (virtualwebauthn shortens those coordinates, go-webauthn rightly refuses).
func newP256Credential(t *testing.T) virtualwebauthn.Credential {
	t.Helper()
	for {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := key.PublicKey.Bytes()
		if pub[1] == 0 || pub[33] == 0 {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, der)
	}
}

// beginJSON posts a begin endpoint and returns the options.
func (b *browser) beginJSON(path, id string) string {
	b.e.t.Helper()
	resp, body := b.post(b.e.issuer+path, url.Values{"id": {id}})
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		b.e.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
	}
	return body
}

// register answers registration options and remembers the user handle (a
// passkey keeps it, which is what makes passwordless sign-in possible).
func (d *passkeyDevice) register(t *testing.T, options string) string {
	t.Helper()
	var raw struct {
		PublicKey struct {
			User struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal([]byte(options), &raw); err != nil {
		t.Fatal(err)
	}
	handle, err := base64.RawURLEncoding.DecodeString(raw.PublicKey.User.ID)
	if err != nil {
		t.Fatalf("user handle: %v", err)
	}
	d.auth.Options.UserHandle = handle
	parsed, err := virtualwebauthn.ParseAttestationOptions(options)
	if err != nil {
		t.Fatalf("options: %v\n%s", err, options)
	}
	resp := virtualwebauthn.CreateAttestationResponse(d.rp, d.auth, d.cred, *parsed)
	d.auth.AddCredential(d.cred)
	return resp
}

func (d *passkeyDevice) assert(t *testing.T, options string, counter uint32) string {
	t.Helper()
	parsed, err := virtualwebauthn.ParseAssertionOptions(options)
	if err != nil {
		t.Fatalf("options: %v\n%s", err, options)
	}
	c := d.cred
	c.Counter = counter
	return virtualwebauthn.CreateAssertionResponse(d.rp, d.auth, c, *parsed)
}

func TestMFAPasskeys(t *testing.T) {
	// go-webauthn refuses an IP address as RP id, and the test server is
	// https://127.0.0.1:port; the virtual browser uses the same RP id.
	rpID := func(o *idp.Options) { o.WebAuthnRPID = "localhost" }
	forEachBackendWith(t, rpID, func(t *testing.T, e *env) {
		e.setMFA("always", []string{"totp", "webauthn"}, 0)
		id, secret := e.webClient()
		r := e.rp(id, secret)
		dev := &passkeyDevice{auth: virtualwebauthn.NewAuthenticator(), cred: newP256Credential(t),
			rp: virtualwebauthn.RelyingParty{Name: "Gatehouse", ID: "localhost", Origin: e.hs.URL}}

		// Registration as the first factor, during sign-in.
		b := e.browser()
		v, authURL := r.start()
		resp, body := b.passwordStep(authURL)
		arID, ok := at2FA(resp, body)
		if !ok || !strings.Contains(body, "webauthn/register/begin") || !strings.Contains(body, "/static/webauthn.js") {
			t.Fatalf("no passkey option on the enrollment page: %.400s", body)
		}
		att := dev.register(t, b.beginJSON("/login/2fa/webauthn/register/begin", arID))
		resp, body = b.mfaPost("/webauthn/register/finish", arID, url.Values{"credential": {att}, "name": {"Work YubiKey"}})
		if !strings.Contains(body, `id="backup-codes"`) {
			t.Fatalf("registration: %d %.400s", resp.StatusCode, body)
		}
		resp, _ = b.mfaPost("/codes", arID, nil)
		c := r.exchange(rpRedirectQuery(resp), v)
		if !slices.Equal(c.AMR, []string{"pwd", "hwk", "mfa"}) || c.ACR != policy.ACRPhishingResistant {
			t.Fatalf("after registration: amr %v acr %q", c.AMR, c.ACR)
		}

		// Second factor.
		b2 := e.browser()
		v, authURL = r.start()
		resp, body = b2.passwordStep(authURL)
		arID, _ = at2FA(resp, body)
		if !strings.Contains(body, "Work YubiKey") || !strings.Contains(body, "webauthn/finish") {
			t.Fatalf("challenge page: %.600s", body)
		}
		asr := dev.assert(t, b2.beginJSON("/login/2fa/webauthn/begin", arID), 1)
		resp, _ = b2.mfaPost("/webauthn/finish", arID, url.Values{"credential": {asr}})
		if c = r.exchange(rpRedirectQuery(resp), v); !slices.Equal(c.AMR, []string{"pwd", "hwk", "mfa"}) {
			t.Fatalf("second factor amr %v", c.AMR)
		}
		// The same assertion again (a replay) is refused: its ceremony is gone.
		resp, _ = b2.mfaPost("/webauthn/finish", arID, url.Values{"credential": {asr}})
		if rpRedirectQuery(resp) != nil {
			t.Fatal("replayed assertion accepted")
		}

		// Passwordless primary sign-in: user verified, no second factor asked.
		b3 := e.browser()
		v, authURL = r.start()
		resp, body = b3.get(authURL)
		if !strings.Contains(body, "/login/passkey/begin") {
			t.Fatalf("no passkey button on the login page: %.400s", body)
		}
		loginID := hiddenID.FindStringSubmatch(body)[1]
		asr = dev.assert(t, b3.beginJSON("/login/passkey/begin", loginID), 2)
		resp, _ = b3.post(e.issuer+"/login/passkey/finish", url.Values{"id": {loginID}, "credential": {asr}})
		c = r.exchange(rpRedirectQuery(resp), v)
		if !slices.Equal(c.AMR, []string{"hwk", "mfa"}) || c.ACR != policy.ACRPhishingResistant || c.Email != agentEmail {
			t.Fatalf("passwordless: amr %v acr %q email %q", c.AMR, c.ACR, c.Email)
		}

		// A clone of the authenticator presents a counter that did not advance.
		b4 := e.browser()
		_, authURL = r.start()
		_, body = b4.get(authURL)
		loginID = hiddenID.FindStringSubmatch(body)[1]
		asr = dev.assert(t, b4.beginJSON("/login/passkey/begin", loginID), 2)
		resp, body = b4.post(e.issuer+"/login/passkey/finish", url.Values{"id": {loginID}, "credential": {asr}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "cloned") {
			t.Fatalf("cloned authenticator: %d %.300s", resp.StatusCode, body)
		}
		if !slices.Contains(e.auditTypes(e.agent().ID), "mfa.webauthn.cloned") {
			t.Fatal("no audit event for the cloned authenticator")
		}
		// Without user verification a passkey is not a passwordless sign-in.
		dev.auth.Options.UserNotVerified = true
		b5 := e.browser()
		_, authURL = r.start()
		_, body = b5.get(authURL)
		loginID = hiddenID.FindStringSubmatch(body)[1]
		asr = dev.assert(t, b5.beginJSON("/login/passkey/begin", loginID), 10)
		resp, _ = b5.post(e.issuer+"/login/passkey/finish", url.Values{"id": {loginID}, "credential": {asr}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("passwordless without UV: %d", resp.StatusCode)
		}
		// The static script is served with the page's CSP allowing it.
		resp, _ = b5.get(e.hs.URL + "/static/webauthn.js")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("webauthn.js: %d", resp.StatusCode)
		}
		resp, _ = b5.get(authURL)
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Fatalf("CSP: %s", csp)
		}
	})
}

// TestMFAAccountPasskey: a passkey registered from the account security
// page (ceremony in a sealed cookie), then used for passwordless sign-in.
func TestMFAAccountPasskey(t *testing.T) {
	rpID := func(o *idp.Options) { o.WebAuthnRPID = "localhost" }
	forEachBackendWith(t, rpID, func(t *testing.T, e *env) {
		e.setMFA("never", []string{"webauthn"}, 0)
		sec := e.issuer + "/account/security"
		b := e.browser()
		_, body := b.get(sec)
		m := hiddenID.FindStringSubmatch(body)
		b.post(e.issuer+"/login", url.Values{"id": {m[1]}, "email": {agentEmail}, "password": {agentPassword}})
		_, body = b.get(sec)
		if !strings.Contains(body, "/account/security/webauthn/begin") {
			t.Fatalf("no passkey registration on the security page: %.500s", body)
		}
		dev := &passkeyDevice{auth: virtualwebauthn.NewAuthenticator(), cred: newP256Credential(t),
			rp: virtualwebauthn.RelyingParty{Name: "Gatehouse", ID: "localhost", Origin: e.hs.URL}}
		resp, opts := b.post(sec+"/webauthn/begin", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("begin: %d %s", resp.StatusCode, opts)
		}
		att := dev.register(t, opts)
		// Without the ceremony cookie (another browser) the response is refused.
		other := e.browser()
		if _, page := other.post(sec+"/webauthn/finish", url.Values{"credential": {att}}); !strings.Contains(page, `name="password"`) {
			t.Fatalf("registration without a session: %.300s", page)
		}
		resp, body = b.post(sec+"/webauthn/finish", url.Values{"credential": {att}, "name": {"Laptop"}})
		if resp.StatusCode != http.StatusOK || len(backupCodesOn(body)) != 10 || !strings.Contains(body, "Laptop") {
			t.Fatalf("finish: %d %.600s", resp.StatusCode, body)
		}
		// Replaying the registration is refused (and no second factor is added).
		if resp, _ := b.post(sec+"/webauthn/finish", url.Values{"credential": {att}}); resp.StatusCode == http.StatusOK {
			t.Fatalf("replayed registration: %d", resp.StatusCode)
		}
		if fs, _ := e.store.ListFactors(t.Context(), e.acme.ID, e.agent().ID); len(fs) != 1 {
			t.Fatalf("%d factors after a replay", len(fs))
		}
		// Passwordless with it.
		r := e.rp(e.webClient())
		v, authURL := r.start()
		b2 := e.browser()
		_, body = b2.get(authURL)
		id := hiddenID.FindStringSubmatch(body)[1]
		asr := dev.assert(t, b2.beginJSON("/login/passkey/begin", id), 1)
		resp, _ = b2.post(e.issuer+"/login/passkey/finish", url.Values{"id": {id}, "credential": {asr}})
		if c := r.exchange(rpRedirectQuery(resp), v); !slices.Equal(c.AMR, []string{"hwk", "mfa"}) {
			t.Fatalf("passwordless amr %v", c.AMR)
		}
	})
}
