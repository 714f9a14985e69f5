package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

var factorItemRE = regexp.MustCompile(`<li id="factor-([a-z0-9]+)">\s*<strong>([^<]+)</strong>`)

// factorsOn lists the factor ids and labels of the security page.
func factorsOn(page string) map[string]string {
	out := map[string]string{}
	for _, m := range factorItemRE.FindAllStringSubmatch(page, -1) {
		out[m[2]] = m[1]
	}
	return out
}

func lastSMS(t *testing.T, o *notify.Outbox) notify.SentSMS {
	t.Helper()
	all := o.SMS()
	if len(all) == 0 {
		t.Fatal("no SMS sent")
	}
	return all[0]
}

// TestMFAAccountSecurity: the account security page lists factors, adds
// and removes them after a recent sign-in, changes a phone number (re-bind
// with re-verification and a notice), keeps prompting until the backup codes
// are saved, regenerates them only after a fresh second factor, and refuses
// to remove the last factor when the tenant requires one.
func TestMFAAccountSecurity(t *testing.T) {
	box, opt := withOutbox()
	forEachBackendWith(t, opt, func(t *testing.T, e *env) {
		outbox := *box
		e.setMFA("always", []string{"totp", "sms", "webauthn"}, 0)
		sec := e.issuer + "/account/security"
		b := e.browser()

		// Signing in to the account runs the same transaction: enroll TOTP.
		resp, body := b.get(sec)
		m := hiddenID.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no login page: %.300s", body)
		}
		resp, body = b.post(e.issuer+"/login", url.Values{"id": {m[1]}, "email": {agentEmail}, "password": {agentPassword}})
		arID, _ := at2FA(resp, body)
		totpSecret, _ := b.enrollTOTPInLogin(arID)
		resp, body = b.mfaPost("/codes", arID, nil) // not confirmed: the page must keep prompting
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/t/acme/account" || !strings.Contains(body, "/account/security") ||
			!strings.Contains(body, "Save your backup codes") {
			t.Fatalf("after sign-in: %d %s %.500s", resp.StatusCode, resp.Request.URL, body)
		}
		_, body = b.get(sec)
		if !strings.Contains(body, `id="save-codes-prompt"`) || len(factorsOn(body)) != 1 {
			t.Fatalf("security page: %.600s", body)
		}
		resp, txt := b.get(sec + "/backup-codes.txt")
		if resp.StatusCode != http.StatusOK || len(codeItemLines(txt)) == 0 {
			t.Fatalf("download: %d %.200s", resp.StatusCode, txt)
		}
		_, body = b.get(sec)
		if strings.Contains(body, `id="save-codes-prompt"`) {
			t.Fatal("still prompting after the download")
		}
		if _, page := b.get(e.issuer + "/account"); strings.Contains(page, "Save your backup codes") {
			t.Fatal("account page still prompting after the download")
		}
		if resp, _ := b.get(sec + "/backup-codes.txt"); resp.StatusCode != http.StatusGone {
			t.Fatalf("second download: %d", resp.StatusCode)
		}

		// Add an SMS factor, confirmed with the texted code.
		resp, body = b.post(sec+"/enroll", url.Values{"kind": {"sms"}, "phone": {"+4915112345678"}})
		fm := regexp.MustCompile(`name="factor" value="([^"]+)"`).FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || fm == nil {
			t.Fatalf("sms enroll: %d %.300s", resp.StatusCode, body)
		}
		resp, body = b.post(sec+"/verify", url.Values{"factor": {fm[1]}, "code": {codeIn(t, lastSMS(t, outbox).Body)}})
		factors := factorsOn(body)
		if len(factors) != 2 || !strings.Contains(body, "Your new sign-in method is ready") {
			t.Fatalf("after sms enrollment: %v %.300s", factors, body)
		}
		var smsID string
		for label, id := range factors {
			if strings.HasPrefix(label, "Text message") {
				smsID = id
			}
		}
		b.post(sec+"/factor/"+smsID+"/default", nil)
		_, body = b.post(sec+"/factor/"+smsID+"/rename", url.Values{"name": {"Work phone"}})
		if !strings.Contains(body, `value="Work phone"`) || !strings.Contains(body, "(default)") {
			t.Fatalf("rename/default: %.300s", body)
		}

		// Change the number: re-bind, re-verify, the old one is removed and the user told.
		e.clock.Advance(61 * time.Second)
		_, body = b.post(sec+"/enroll", url.Values{"kind": {"sms"}, "phone": {"+4915199887766"}, "replaces": {smsID}})
		fm = regexp.MustCompile(`name="factor" value="([^"]+)"`).FindStringSubmatch(body)
		sms := lastSMS(t, outbox)
		if sms.To != "+4915199887766" {
			t.Fatalf("code went to %s", sms.To)
		}
		_, body = b.post(sec+"/verify", url.Values{"factor": {fm[1]}, "code": {codeIn(t, sms.Body)}, "replaces": {smsID}})
		factors = factorsOn(body)
		if len(factors) != 2 || slices.Contains(mapValues(factors), smsID) || !strings.Contains(body, "7766") {
			t.Fatalf("after re-bind: %v", factors)
		}
		e.srv.Wait()
		phoneMail := false // one email for the change (not "added" plus "removed")
		for _, m := range outbox.Emails() {
			phoneMail = phoneMail || (strings.Contains(m.Subject, "phone number") && strings.Contains(m.Text, "7766"))
		}
		if !phoneMail {
			t.Fatal("no notice of the changed number")
		}

		// Ten minutes later, changes need a new sign-in with the second factor.
		e.clock.Advance(11 * time.Minute)
		resp, _ = b.post(sec+"/factor/"+fm[1]+"/remove", nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("remove without recent sign-in: %d", resp.StatusCode)
		}
		resp, _ = b.post(sec+"/backup-codes/regenerate", nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("regenerate without fresh second factor: %d", resp.StatusCode)
		}
		resp, body = b.post(sec+"/reauth", nil)
		if !strings.Contains(body, `name="password"`) {
			t.Fatalf("reauth: %d %.300s", resp.StatusCode, body)
		}
		m = hiddenID.FindStringSubmatch(body)
		resp, body = b.post(e.issuer+"/login", url.Values{"id": {m[1]}, "email": {agentEmail}, "password": {agentPassword}})
		arID, ok := at2FA(resp, body)
		if !ok {
			t.Fatalf("reauth did not ask for the second factor: %.300s", body)
		}
		var totpID string
		for label, id := range factorsOnChallenge(body) {
			if strings.Contains(label, "Authenticator") {
				totpID = id
			}
		}
		resp, body = b.mfaPost("", arID, url.Values{"factor": {totpID}, "code": {oathtool(t, totpSecret, e.clock.Now())}})
		if resp.Request.URL.Path != "/t/acme/account/security" || !strings.Contains(body, "Add a method") {
			t.Fatalf("after reauth: %d %s", resp.StatusCode, resp.Request.URL)
		}

		// Fresh second factor: new backup codes, shown once.
		_, body = b.post(sec+"/backup-codes/regenerate", nil)
		if len(backupCodesOn(body)) != 10 || !strings.Contains(body, "10 of 10 left") {
			t.Fatalf("regenerate: %.500s", body)
		}

		// Remove the SMS factor; the last one cannot go while the tenant requires MFA.
		resp, _ = b.post(sec+"/factor/"+fm[1]+"/remove", nil)
		if resp.StatusCode != http.StatusOK || resp.Request.URL.RawQuery != "done=removed" {
			t.Fatalf("remove: %d %s", resp.StatusCode, resp.Request.URL)
		}
		resp, body = b.post(sec+"/factor/"+totpID+"/remove", nil)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "requires a second sign-in method") {
			t.Fatalf("removing the last factor: %d", resp.StatusCode)
		}
		// Another user's factor id is not found.
		resp, _ = b.post(sec+"/factor/nope/remove", nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("unknown factor: %d", resp.StatusCode)
		}
		e.setMFA("never", nil, 0)
		resp, _ = b.post(sec+"/factor/"+totpID+"/remove", nil)
		if resp.Request.URL.RawQuery != "done=removed" {
			t.Fatalf("remove last with mode never: %d %s", resp.StatusCode, resp.Request.URL)
		}
		types := e.auditTypes(e.agent().ID)
		for _, want := range []string{"mfa.factor.enrolled", "mfa.factor.removed", "mfa.factor.renamed", "mfa.factor.default",
			"mfa.backup_codes.downloaded", "mfa.backup_codes.generated"} {
			if !slices.Contains(types, want) {
				t.Errorf("no %s event", want)
			}
		}
		evs, _ := e.store.ListAuditEvents(t.Context(), e.acme.ID, store.AuditQuery{UserID: e.agent().ID, Types: []string{"mfa.factor.removed"}})
		if len(evs) != 3 || evs[0].IP == "" || evs[0].UserAgent == "" {
			t.Fatalf("removal events: %d", len(evs))
		}
	})
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

var altRE = regexp.MustCompile(`factor=([a-z0-9]+)">([^<]+)</a>`)

// factorsOnChallenge maps the labels of a challenge page to factor ids.
func factorsOnChallenge(page string) map[string]string {
	out := map[string]string{}
	if m := factorRE.FindStringSubmatch(page); m != nil {
		if l := regexp.MustCompile(`<p>([^<]+)</p>|<label for="code">([^<]+)</label>`).FindStringSubmatch(page); l != nil {
			out[l[1]+l[2]] = m[1]
		}
	}
	for _, m := range altRE.FindAllStringSubmatch(page, -1) {
		out[m[2]] = m[1]
	}
	return out
}

func codeItemLines(txt string) []string {
	return regexp.MustCompile(`(?m)^[2-9A-Z@]{5}-[2-9A-Z@]{5}$`).FindAllString(txt, -1)
}
