package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/device"
	"github.com/gatehouse-idp/gatehouse/idp/geo"
	"github.com/gatehouse-idp/gatehouse/idp/login"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Client addresses of the policy tests, in documentation ranges that the
// test GeoIP database places in Chicago and in Germany.
const (
	ipChicago = "203.0.113.10"
	ipGermany = "198.51.100.7"
)

// testGeoDB writes a MaxMind-format City database with two locations.
func testGeoDB(t testing.TB) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-City", RecordSize: 24, IPVersion: 6, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	name := func(s string) mmdbtype.Map { return mmdbtype.Map{"en": mmdbtype.String(s)} }
	for cidr, rec := range map[string]mmdbtype.Map{
		"203.0.113.0/24": {"country": mmdbtype.Map{"iso_code": mmdbtype.String("US"), "names": name("United States")},
			"city": mmdbtype.Map{"names": name("Chicago")}},
		"198.51.100.0/24": {"country": mmdbtype.Map{"iso_code": mmdbtype.String("DE"), "names": name("Germany")}},
	} {
		_, n, _ := net.ParseCIDR(cidr)
		if err := tree.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "city.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// withGeo trusts the loopback proxy (the tests set X-Forwarded-For) and
// locates clients with the test database.
func withGeo(t *testing.T) func(*idp.Options) {
	loc, err := geo.Open(testGeoDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { loc.Close() })
	return func(o *idp.Options) {
		o.TrustedProxies = []string{"127.0.0.1/32"}
		o.Locate = login.GeoLocate(loc)
	}
}

// xffTransport sets X-Forwarded-For on every request, as a trusted proxy would.
type xffTransport struct {
	ip   *string
	next http.RoundTripper
}

func (x xffTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", *x.ip)
	return x.next.RoundTrip(r)
}

// browserAt is a browser whose client address is *ip.
func (e *env) browserAt(ip *string) *browser {
	b := e.browser()
	b.client.Transport = xffTransport{ip: ip, next: b.client.Transport}
	return b
}

// passwordStepAs is passwordStep for any user.
func (b *browser) passwordStepAs(authURL, email, pw string) (*http.Response, string) {
	b.e.t.Helper()
	resp, body := b.get(authURL)
	m := hiddenID.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		b.e.t.Fatalf("expected the login page, got %d: %.300s", resp.StatusCode, body)
	}
	return b.post(b.e.issuer+"/login", url.Values{"id": {m[1]}, "email": {email}, "password": {pw}})
}

// outcome classifies where a password sign-in ended.
func outcome(resp *http.Response, body string) string {
	switch {
	case rpRedirectQuery(resp) != nil:
		return "none"
	case strings.Contains(body, `/login/2fa/enroll`) && !strings.Contains(body, `name="factor"`):
		return "enroll"
	case strings.Contains(body, `name="factor"`):
		return "challenge"
	}
	return fmt.Sprintf("unexpected %d", resp.StatusCode)
}

// TestMFAPolicyMatrix: every --mfa mode x known/new device x known/new
// location x enrolled/not enrolled, through the real login, with client
// addresses from X-Forwarded-For and locations from a GeoIP database.
func TestMFAPolicyMatrix(t *testing.T) {
	forEachBackendWith(t, withGeo(t), func(t *testing.T, e *env) {
		ctx := context.Background()
		id, secret := e.webClient()
		r := e.rp(id, secret)
		n := 0
		for _, mode := range []string{"never", "always", "new-device", "new-location"} {
			for _, knownDevice := range []bool{true, false} {
				for _, knownLocation := range []bool{true, false} {
					for _, enrolled := range []bool{true, false} {
						name := fmt.Sprintf("%s/device_known=%v/location_known=%v/enrolled=%v", mode, knownDevice, knownLocation, enrolled)
						n++
						e.setMFA(mode, nil, 0)
						email := fmt.Sprintf("m%d@acme.test", n)
						u, err := e.srv.Manage().CreateUser(ctx, e.acme, manage.UserSpec{Email: email, Role: "agent", Password: agentPassword})
						if err != nil {
							t.Fatal(err)
						}
						now := e.clock.Now()
						if enrolled {
							// The challenge page never opens the secret; these bytes stand in for it.
							sealed := []byte("sealed-secret-not-used-here")
							if err := e.store.CreateFactor(ctx, &store.Factor{ID: "f-" + u.ID, TenantID: e.acme.ID, UserID: u.ID,
								Kind: store.FactorTOTP, Verified: true, IsDefault: true, SecretSealed: sealed, CreatedAt: now}); err != nil {
								t.Fatal(err)
							}
						}
						ip := ipGermany
						b := e.browserAt(&ip)
						devID := device.NewDeviceID(nil)
						issuerURL, _ := url.Parse(e.issuer)
						b.client.Jar.SetCookies(issuerURL, []*http.Cookie{{Name: "__Host-gh_device", Value: devID, Path: "/", Secure: true}})
						if knownDevice {
							if err := e.store.TouchDevice(ctx, &store.KnownDevice{TenantID: e.acme.ID, UserID: u.ID,
								DeviceHash: device.HashDeviceID(devID), FirstSeen: now, LastSeen: now}); err != nil {
								t.Fatal(err)
							}
						}
						if knownLocation {
							ip = ipChicago
							if err := e.store.TouchLocation(ctx, &store.KnownLocation{TenantID: e.acme.ID, UserID: u.ID,
								Key: "US:Chicago", FirstSeen: now, LastSeen: now}); err != nil {
								t.Fatal(err)
							}
						}
						want := "none"
						switch {
						case mode == "always",
							mode == "new-device" && !knownDevice,
							mode == "new-location" && !knownLocation:
							want = "challenge"
							if !enrolled {
								want = "enroll"
							}
						}
						v, authURL := r.start()
						resp, body := b.passwordStepAs(authURL, email, agentPassword)
						if got := outcome(resp, body); got != want {
							t.Errorf("%s: got %s, want %s", name, got, want)
							continue
						}
						if want != "none" {
							if sess, _ := e.store.ListUserSessions(ctx, e.acme.ID, u.ID); len(sess) != 0 {
								t.Errorf("%s: a session exists before the second factor", name)
							}
							continue
						}
						if c := r.exchange(rpRedirectQuery(resp), v); !slices.Equal(c.AMR, []string{"pwd"}) {
							t.Errorf("%s: amr %v", name, c.AMR)
						}
						// A sign-in without a second factor makes the device and place known.
						if _, err := e.store.Device(ctx, e.acme.ID, u.ID, device.HashDeviceID(devID)); err != nil {
							t.Errorf("%s: device not recorded: %v", name, err)
						}
						key := map[string]string{ipChicago: "US:Chicago", ipGermany: "DE"}[ip]
						if _, err := e.store.Location(ctx, e.acme.ID, u.ID, key); err != nil {
							t.Errorf("%s: location %s not recorded: %v", name, key, err)
						}
					}
				}
			}
		}
	})
}

// TestMFARememberDevice: "don't ask again on this browser" skips the second
// factor until it expires (injected clock), then asks again.
func TestMFARememberDevice(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.setMFA("always", nil, 7)
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		login := oauth2.SetAuthURLParam("prompt", "login") // no SSO: a real sign-in each time

		v, authURL := r.start(login)
		resp, body := b.passwordStep(authURL)
		arID, _ := at2FA(resp, body)
		totpSecret, _ := b.enrollTOTPInLogin(arID)
		resp, _ = b.mfaPost("/codes", arID, url.Values{"saved": {"on"}, "remember": {"on"}})
		r.exchange(rpRedirectQuery(resp), v)

		v, authURL = r.start(login)
		resp, body = b.passwordStep(authURL)
		if got := outcome(resp, body); got != "none" {
			t.Fatalf("remembered device: %s", got)
		}
		if c := r.exchange(rpRedirectQuery(resp), v); !slices.Equal(c.AMR, []string{"pwd"}) {
			t.Fatalf("remembered device amr %v", c.AMR)
		}
		// Another browser is not remembered.
		_, authURL = r.start(login)
		if got := outcome(e.browser().passwordStep(authURL)); got != "challenge" {
			t.Fatalf("other browser: %s", got)
		}
		// After 7 days the device is asked again.
		e.clock.Advance(7*24*time.Hour + time.Minute)
		v, authURL = r.start(login)
		resp, body = b.passwordStep(authURL)
		arID, ok := at2FA(resp, body)
		if !ok {
			t.Fatalf("expired remembrance: %s", outcome(resp, body))
		}
		fid := factorRE.FindStringSubmatch(body)[1]
		resp, _ = b.mfaPost("", arID, url.Values{"factor": {fid}, "code": {oathtool(t, totpSecret, e.clock.Now())}})
		r.exchange(rpRedirectQuery(resp), v)
		if !slices.Contains(e.auditTypes(e.agent().ID), "mfa.device.remembered") {
			t.Fatal("no audit event for the remembered device")
		}
	})
}

// TestMFAACRStepUp: with --mfa never, a client's acr_values demand a second
// factor for one request (even over an existing single-factor session), and
// the ID token's acr says what happened.
func TestMFAACRStepUp(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.setMFA("never", nil, 0)
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		v, authURL := r.start()
		resp, body := b.passwordStep(authURL)
		c := r.exchange(rpRedirectQuery(resp), v)
		if c.ACR != policy.ACRPassword {
			t.Fatalf("plain sign-in acr %q", c.ACR)
		}
		// Step-up over the existing session: the session does not satisfy it.
		v, authURL = r.start(oauth2.SetAuthURLParam("acr_values", policy.ACRMFA))
		resp, body = b.passwordStep(authURL)
		arID, ok := at2FA(resp, body)
		if !ok || outcome(resp, body) != "enroll" {
			t.Fatalf("step-up: %s", outcome(resp, body))
		}
		_, _ = b.enrollTOTPInLogin(arID)
		resp, _ = b.mfaPost("/codes", arID, nil)
		if c = r.exchange(rpRedirectQuery(resp), v); c.ACR != policy.ACRMFA || !slices.Contains(c.AMR, "mfa") {
			t.Fatalf("after step-up: acr %q amr %v", c.ACR, c.AMR)
		}
		// The new session satisfies the same demand by SSO.
		v, authURL = r.start(oauth2.SetAuthURLParam("acr_values", policy.ACRMFA))
		resp, _ = b.get(authURL)
		if c = r.exchange(rpRedirectQuery(resp), v); c.ACR != policy.ACRMFA {
			t.Fatalf("SSO after step-up: acr %q", c.ACR)
		}
	})
}

// TestMFAForgetRememberedBrowsers: the user revokes "don't ask again" from
// the security page; the browser is asked again.
func TestMFAForgetRememberedBrowsers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.setMFA("always", nil, 30)
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		login := oauth2.SetAuthURLParam("prompt", "login")
		v, authURL := r.start(login)
		resp, body := b.passwordStep(authURL)
		arID, _ := at2FA(resp, body)
		b.enrollTOTPInLogin(arID)
		resp, _ = b.mfaPost("/codes", arID, url.Values{"saved": {"on"}, "remember": {"on"}})
		r.exchange(rpRedirectQuery(resp), v)
		_, page := b.get(e.issuer + "/account/security")
		if !strings.Contains(page, `id="remembered-count">1 browser`) {
			t.Fatalf("remembered browsers not listed: %.600s", page)
		}
		resp, _ = b.post(e.issuer+"/account/security/forget-devices", nil)
		if resp.Request.URL.RawQuery != "done=forgotten" {
			t.Fatalf("forget: %d %s", resp.StatusCode, resp.Request.URL)
		}
		_, authURL = r.start(login)
		if got := outcome(b.passwordStep(authURL)); got != "challenge" {
			t.Fatalf("after forgetting: %s", got)
		}
		if !slices.Contains(e.auditTypes(e.agent().ID), "mfa.devices.forgotten") {
			t.Fatal("no audit event")
		}
	})
}
