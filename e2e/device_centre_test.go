package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp"
)

// postWith posts a form with extra headers (X-Forwarded-For behind the
// trusted test proxy).
func (b *browser) postWith(u string, form url.Values, hdr map[string]string) (*http.Response, string) {
	b.e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.e.hs.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	return resp, readAll(resp)
}

// signInFrom signs in with the password from the client address ip.
func (b *browser) signInFrom(r *rp, ip string) (*http.Response, string) {
	b.e.t.Helper()
	page := b.loginPage(r)
	m := hiddenID.FindStringSubmatch(page)
	return b.postWith(b.e.issuer+"/login", url.Values{"id": {m[1]}, "email": {agentEmail}, "password": {agentPassword}},
		map[string]string{"X-Forwarded-For": ip})
}

var deviceRowRE = regexp.MustCompile(`<li class="session" id="d-([0-9a-f]+)">\s*<p class="session-title"><strong>[^<]*</strong>( <span class="badge">This browser</span>)?`)

// TestDeviceCentre: new-device and new-location emails, the devices page,
// a blocked browser and a blocked location refused (recorded and emailed),
// the guard rails, and an admin unblock.
func TestDeviceCentre(t *testing.T) {
	ms := new(mailBox)
	forEachBackendOpts(t, func(t *testing.T, o *idp.Options) {
		ms.srv, o.EmailSender = mailServer(t)
		o.TrustedProxies = []string{"127.0.0.1/32"}
	}, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		mine, other := e.browser(), e.browser()
		// The first sign-in ever: nothing to compare with, no email.
		if resp, _ := mine.signInFrom(r, "203.0.113.10"); rpRedirectQuery(resp) == nil {
			t.Fatalf("first sign-in: %d", resp.StatusCode)
		}
		// Another browser in another network: both are new.
		if resp, _ := other.signInFrom(r, "198.51.100.7"); rpRedirectQuery(resp) == nil {
			t.Fatalf("second browser: %d", resp.StatusCode)
		}
		subjects := map[string]bool{}
		for i := 0; i < 2; i++ {
			subjects[waitMailAny(t, ms.srv, agentEmail).Subject] = true
		}
		if !subjects["New sign-in to Acme Support from Go-http-client 1"] || !subjects["New sign-in to Acme Support from Network 198.51.100.0/24"] {
			t.Fatalf("new device/location emails: %v", subjects)
		}
		// The devices page lists both browsers and both networks.
		resp, body := mine.getWith(e.issuer+"/account/devices", map[string]string{"X-Forwarded-For": "203.0.113.10"})
		rows := deviceRowRE.FindAllStringSubmatch(body, -1)
		if resp.StatusCode != 200 || len(rows) != 2 || !strings.Contains(body, "198.51.100.0/24") || !strings.Contains(body, "You are here") {
			t.Fatalf("devices page: %d %d rows %.1500s", resp.StatusCode, len(rows), body)
		}
		var mineID, otherID string
		for _, m := range rows {
			if m[2] != "" {
				mineID = m[1]
			} else {
				otherID = m[1]
			}
		}
		act := func(kind, id, action string) (int, string) {
			resp, body := mine.postWith(e.issuer+"/account/devices", url.Values{"kind": {kind}, "id": {id}, "action": {action}},
				map[string]string{"X-Forwarded-For": "203.0.113.10"})
			return resp.StatusCode, body
		}
		if st, body := act("device", mineID, "block"); st != 400 || !strings.Contains(body, "cannot block the browser or location you are using") {
			t.Fatalf("blocking this browser: %d", st)
		}
		if st, _ := act("device", otherID, "block"); st != 200 {
			t.Fatalf("block: %d", st)
		}
		if st, body := act("device", otherID, "forget"); st != 400 || !strings.Contains(body, "Unblock it first") {
			t.Fatalf("forget a blocked device: %d", st)
		}
		// The blocked browser still has a session: single sign-on is refused
		// and the session ends.
		resp, body = other.getWith(r.authURL("sso", pkceOpt()), map[string]string{"X-Forwarded-For": "198.51.100.7"})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Sign-in blocked") {
			t.Fatalf("SSO from a blocked browser: %d %.300s", resp.StatusCode, body)
		}
		// The right password from it: refused, recorded, emailed.
		resp, body = other.signInFrom(r, "198.51.100.7")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Sign-in blocked") {
			t.Fatalf("blocked browser: %d %.300s", resp.StatusCode, body)
		}
		for i := 0; i < 2; i++ {
			if m := waitMail(t, ms.srv, agentEmail); !strings.Contains(m.Subject, "blocked browser was refused") || !strings.Contains(m.Text, "198.51.100.7") {
				t.Fatalf("blocked attempt email: %q %s", m.Subject, m.Text)
			}
		}
		if n := len(e.auditEvents("login.blocked_device")); n != 2 {
			t.Fatalf("%d blocked-device events", n)
		}
		// An admin unblocks it (CLI path): it signs in again.
		if err := e.srv.Manage().ChangeDevice(context.Background(), e.acme, e.user(agentEmail).ID, "device", otherID, "unblock", nil, "cli"); err != nil {
			t.Fatal(err)
		}
		if resp, _ := other.signInFrom(r, "198.51.100.7"); rpRedirectQuery(resp) == nil {
			t.Fatalf("unblocked browser: %d", resp.StatusCode)
		}
		// Block the 198.51.100.0/24 network: any browser from there is refused.
		if st, body := act("location", "net:198.51.100.0/24", "block"); st != 200 {
			t.Fatalf("block location: %d %.300s", st, body)
		}
		if st, _ := act("location", "net:203.0.113.0/24", "block"); st != 400 {
			t.Fatalf("blocking the current location: %d", st)
		}
		fresh := e.browser()
		if resp, body := fresh.signInFrom(r, "198.51.100.99"); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "location") {
			t.Fatalf("blocked location: %d", resp.StatusCode)
		}
		if resp, _ := fresh.signInFrom(r, "192.0.2.1"); rpRedirectQuery(resp) == nil {
			t.Fatalf("other location: %d", resp.StatusCode)
		}
		// Forgetting an unblocked device makes it new again.
		if st, _ := act("device", otherID, "forget"); st != 200 {
			t.Fatalf("forget: %d", st)
		}
		list, err := e.srv.Manage().UserDevices(context.Background(), e.acme, e.user(agentEmail).ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range list {
			if v.ID == otherID {
				t.Fatal("forgotten device still listed")
			}
		}
	})
}
