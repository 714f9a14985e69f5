package e2e

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/notify"
	"github.com/gatehouse-idp/gatehouse/idp/notify/smstest"
	"github.com/gatehouse-idp/gatehouse/idp/notify/smtptest"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
)

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

func codeIn(t *testing.T, text string) string {
	t.Helper()
	m := sixDigits.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no code in %q", text)
	}
	return m[1]
}

// withSMTP delivers email through a real SMTP server (STARTTLS + AUTH),
// a new one for each environment the returned option builds.
func withSMTP(t *testing.T) (**smtptest.Server, func(*idp.Options)) {
	var current *smtptest.Server
	return &current, func(o *idp.Options) {
		current = smtptest.Start(t, smtptest.Options{Username: "gatehouse", Password: "smtp-pass"})
		sender, err := notify.NewSMTPSender(notify.SMTPConfig{URL: current.URL(), From: "Gatehouse <login@gatehouse.test>", RootCAs: current.RootCAs()})
		if err != nil {
			t.Fatal(err)
		}
		o.EmailSender = sender
	}
}

// nextMail waits for the next email to `to` whose subject contains subj.
func nextMail(t *testing.T, smtp *smtptest.Server, to, subj string) smtptest.Message {
	t.Helper()
	for {
		m, err := smtp.WaitFor(to, 5*time.Second)
		if err != nil {
			t.Fatalf("waiting for %q: %v", subj, err)
		}
		if strings.Contains(m.Subject, subj) {
			return m
		}
	}
}

// TestMFAEmailCodes: email codes through a real SMTP server. Enrollment at
// sign-in reads the code from the delivered message; email is reported as
// such (amr "email") and not as multi-factor (acr pwd). Tries count per
// login attempt (5) and per account (10 in 15 minutes); resends have a
// cooldown; a notice goes out when a factor is added.
func TestMFAEmailCodes(t *testing.T) {
	smtpp, opt := withSMTP(t)
	forEachBackendWith(t, opt, func(t *testing.T, e *env) {
		smtp := *smtpp
		e.setMFA("always", []string{"email"}, 0)
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()

		v, authURL := r.start()
		resp, body := b.passwordStep(authURL)
		arID, ok := at2FA(resp, body)
		if !ok {
			t.Fatalf("expected 2FA page: %d %.300s", resp.StatusCode, body)
		}
		resp, body = b.mfaPost("/enroll", arID, url.Values{"kind": {"email"}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "We sent a code") {
			t.Fatalf("email enrollment: %d %.300s", resp.StatusCode, body)
		}
		msg := nextMail(t, smtp, agentEmail, "code")
		if msg.From == nil || msg.From.Name != "Acme Support" || !msg.TLS || msg.AuthUser != "gatehouse" || msg.HTML == "" {
			t.Fatalf("code email: from %v tls %v auth %q", msg.From, msg.TLS, msg.AuthUser)
		}
		resp, body = b.mfaPost("/enroll/verify", arID, url.Values{"code": {codeIn(t, msg.Text)}})
		if !strings.Contains(body, `id="backup-codes"`) {
			t.Fatalf("expected backup codes: %d %.300s", resp.StatusCode, body)
		}
		resp, _ = b.mfaPost("/codes", arID, nil)
		c := r.exchange(rpRedirectQuery(resp), v)
		if !slices.Equal(c.AMR, []string{"pwd", "email"}) || c.ACR != policy.ACRPassword {
			t.Fatalf("email factor: amr %v acr %q (email must not count as MFA)", c.AMR, c.ACR)
		}
		nextMail(t, smtp, agentEmail, "sign-in method was added")

		// signInTo2FA starts a new login and sends a code.
		send := func(b *browser) (string, string) {
			t.Helper()
			_, authURL := r.start()
			resp, body := b.passwordStep(authURL)
			arID, ok := at2FA(resp, body)
			if !ok {
				t.Fatalf("expected the challenge: %d %.300s", resp.StatusCode, body)
			}
			fid := factorRE.FindStringSubmatch(body)[1]
			resp, body = b.mfaPost("/send", arID, url.Values{"factor": {fid}})
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "We sent you a code") {
				t.Fatalf("send: %d %.300s", resp.StatusCode, body)
			}
			return arID, fid
		}
		e.clock.Advance(61 * time.Second)
		b = e.browser()
		arID, fid := send(b)
		nextMail(t, smtp, agentEmail, "code")
		// An immediate resend hits the cooldown.
		resp, body = b.mfaPost("/send", arID, url.Values{"factor": {fid}})
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "seconds") {
			t.Fatalf("resend during cooldown: %d %.200s", resp.StatusCode, body)
		}
		// Five wrong codes end this login attempt.
		for i := range 5 {
			resp, _ = b.mfaPost("", arID, url.Values{"factor": {fid}, "code": {"00000" + string(rune('0'+i))}})
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong code %d: %d", i, resp.StatusCode)
			}
		}
		resp, _ = b.mfaPost("", arID, url.Values{"factor": {fid}, "code": {"123456"}})
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("sixth try in one login: %d, want 429", resp.StatusCode)
		}
		resp, _ = b.get(e.issuer + "/login/2fa?id=" + arID)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("exhausted login still open: %d", resp.StatusCode)
		}
		// Five more in another login: the account is locked for every login.
		e.clock.Advance(61 * time.Second)
		b = e.browser()
		arID, fid = send(b)
		nextMail(t, smtp, agentEmail, "code")
		for range 5 {
			b.mfaPost("", arID, url.Values{"factor": {fid}, "code": {"999999"}})
		}
		e.clock.Advance(61 * time.Second)
		b = e.browser()
		arID, fid = send(b)
		msg = nextMail(t, smtp, agentEmail, "code")
		resp, body = b.mfaPost("", arID, url.Values{"factor": {fid}, "code": {codeIn(t, msg.Text)}})
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "this account") {
			t.Fatalf("locked account accepted a code: %d %.200s", resp.StatusCode, body)
		}
		// After the window the right code works (a fresh one: the last expired).
		e.clock.Advance(16 * time.Minute)
		v, authURL = r.start()
		resp, body = b.passwordStep(authURL)
		arID, _ = at2FA(resp, body)
		b.mfaPost("/send", arID, url.Values{"factor": {fid}})
		msg = nextMail(t, smtp, agentEmail, "code")
		resp, body = b.mfaPost("", arID, url.Values{"factor": {fid}, "code": {codeIn(t, msg.Text)}})
		if rpRedirectQuery(resp) == nil {
			t.Fatalf("final code refused: %d %s", resp.StatusCode, body)
		}
		if c := r.exchange(rpRedirectQuery(resp), v); !slices.Equal(c.AMR, []string{"pwd", "email"}) {
			t.Fatalf("amr %v", c.AMR)
		}
		if !slices.Contains(e.auditTypes(e.agent().ID), "mfa.challenge.locked") {
			t.Fatal("no audit event for the locked account")
		}
	})
}

// TestMFASMSCodes: SMS codes through a Twilio-shaped API and through the
// signed webhook (the fake verifies the signature). The number is
// normalised to E.164 by a phone-number library; a landline is refused.
func TestMFASMSCodes(t *testing.T) {
	for _, provider := range []string{"twilio", "webhook"} {
		t.Run(provider, func(t *testing.T) {
			var (
				waitFor func(to string) string
				opt     func(*idp.Options)
			)
			switch provider {
			case "twilio":
				tw := smstest.StartTwilio(t)
				opt = func(o *idp.Options) {
					s, err := notify.NewTwilioSender(tw.Config("+15005550006"))
					if err != nil {
						t.Fatal(err)
					}
					o.SMSSenders, o.DefaultSMSProvider = map[string]notify.SMSSender{"twilio": s}, "twilio"
				}
				waitFor = func(to string) string {
					m, err := tw.WaitFor(to, 5*time.Second)
					if err != nil {
						t.Fatal(err)
					}
					return m.Body
				}
			case "webhook":
				wh := smstest.StartWebhook(t, strings.Repeat("k", 32))
				opt = func(o *idp.Options) {
					s, err := notify.NewWebhookSender(wh.Config())
					if err != nil {
						t.Fatal(err)
					}
					o.SMSSenders, o.DefaultSMSProvider = map[string]notify.SMSSender{"webhook": s}, "webhook"
				}
				waitFor = func(to string) string {
					m, err := wh.WaitFor(to, 5*time.Second)
					if err != nil {
						t.Fatalf("%v (rejected: %v)", err, wh.Rejected())
					}
					return m.Body
				}
			}
			forEachBackendWith(t, opt, func(t *testing.T, e *env) {
				e.setMFA("always", []string{"sms"}, 0)
				id, secret := e.webClient()
				r := e.rp(id, secret)
				b := e.browser()
				v, authURL := r.start()
				resp, body := b.passwordStep(authURL)
				arID, _ := at2FA(resp, body)
				resp, body = b.mfaPost("/enroll", arID, url.Values{"kind": {"sms"}, "phone": {"+49 30 1234567"}})
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "mobile number") {
					t.Fatalf("landline accepted: %d %.200s", resp.StatusCode, body)
				}
				resp, body = b.mfaPost("/enroll", arID, url.Values{"kind": {"sms"}, "phone": {"+49 151 1234 5678"}})
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, "We sent a code") {
					t.Fatalf("sms enrollment: %d %.300s", resp.StatusCode, body)
				}
				sms := waitFor("+4915112345678")
				resp, _ = b.mfaPost("/enroll/verify", arID, url.Values{"code": {codeIn(t, sms)}})
				resp, _ = b.mfaPost("/codes", arID, nil)
				if c := r.exchange(rpRedirectQuery(resp), v); !slices.Equal(c.AMR, []string{"pwd", "sms", "mfa"}) || c.ACR != policy.ACRMFA {
					t.Fatalf("sms enrollment amr %v acr %q", c.AMR, c.ACR)
				}
				// Sign in again with a texted code; it works once.
				e.clock.Advance(61 * time.Second)
				b2 := e.browser()
				v, authURL = r.start()
				resp, body = b2.passwordStep(authURL)
				arID, _ = at2FA(resp, body)
				fid := factorRE.FindStringSubmatch(body)[1]
				b2.mfaPost("/send", arID, url.Values{"factor": {fid}})
				code := codeIn(t, waitFor("+4915112345678"))
				resp, _ = b2.mfaPost("", arID, url.Values{"factor": {fid}, "code": {code}})
				if c := r.exchange(rpRedirectQuery(resp), v); !slices.Equal(c.AMR, []string{"pwd", "sms", "mfa"}) {
					t.Fatalf("amr %v", c.AMR)
				}
				// The code was bound to that login attempt: another one cannot use it.
				b3 := e.browser()
				_, authURL = r.start()
				resp, body = b3.passwordStep(authURL)
				arID, _ = at2FA(resp, body)
				resp, body = b3.mfaPost("", arID, url.Values{"factor": {fid}, "code": {code}})
				if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "No code was sent") {
					t.Fatalf("code of another login accepted: %d %.200s", resp.StatusCode, body)
				}
			})
		})
	}
}

// TestMFADevOutbox: in dev mode codes land in /dev/outbox, where a newcomer
// reads them; without --dev the page does not exist.
func TestMFADevOutbox(t *testing.T) {
	dev := func(o *idp.Options) {
		o.Dev = true
		o.Outbox = notify.NewOutbox(0, nil)
		o.EmailSender = o.Outbox
		o.SMSSenders, o.DefaultSMSProvider = map[string]notify.SMSSender{"dev": o.Outbox}, "dev"
	}
	forEachBackendWith(t, dev, func(t *testing.T, e *env) {
		e.setMFA("always", []string{"email", "sms"}, 0)
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		v, authURL := r.start()
		resp, body := b.passwordStep(authURL)
		arID, _ := at2FA(resp, body)
		b.mfaPost("/enroll", arID, url.Values{"kind": {"sms"}, "phone": {"+4915112345678"}})
		resp, page := b.get(e.hs.URL + "/dev/outbox")
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "4915112345678") {
			t.Fatalf("outbox: %d %.500s", resp.StatusCode, page)
		}
		resp, _ = b.mfaPost("/enroll/verify", arID, url.Values{"code": {codeIn(t, page)}})
		resp, _ = b.mfaPost("/codes", arID, nil)
		r.exchange(rpRedirectQuery(resp), v)
		e.srv.Wait() // the "added" notice is sent after its response
		_, page = b.get(e.hs.URL + "/dev/outbox")
		if !strings.Contains(page, "sign-in method was added") {
			t.Fatalf("notification not in the outbox: %.500s", page)
		}
	})
	forEachBackend(t, func(t *testing.T, e *env) {
		if resp, _ := e.browser().get(e.hs.URL + "/dev/outbox"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("/dev/outbox without --dev: %d", resp.StatusCode)
		}
	})
}

// TestMFANoSecretsInLogs: with debug logging on, no TOTP secret, sent code,
// TOTP code or backup code appears in any log line.
func TestMFANoSecretsInLogs(t *testing.T) {
	var logs syncBuffer
	var outbox *notify.Outbox
	opt := func(o *idp.Options) {
		// Durations, times and random request ids are left out: they are no
		// secrets, and their digits could match a 6-digit code by chance.
		drop := func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "duration", "request_id":
				return slog.Attr{}
			}
			return a
		}
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: drop}))
		outbox = notify.NewOutbox(0, nil)
		o.EmailSender = outbox
	}
	forEachBackendWith(t, opt, func(t *testing.T, e *env) {
		e.setMFA("always", []string{"totp", "email"}, 0)
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		v, authURL := r.start()
		resp, body := b.passwordStep(authURL)
		arID, _ := at2FA(resp, body)
		totpSecret, codesPage := b.enrollTOTPInLogin(arID)
		enrollCode := oathtool(t, totpSecret, e.clock.Now())
		resp, _ = b.mfaPost("/codes", arID, nil)
		r.exchange(rpRedirectQuery(resp), v)
		backup := backupCodesOn(codesPage)

		// An email code (enrolled from the security page) and a backup code, wrong and right.
		sec := e.issuer + "/account/security"
		_, page := b.post(sec+"/enroll", url.Values{"kind": {"email"}})
		fm := regexp.MustCompile(`name="factor" value="([^"]+)"`).FindStringSubmatch(page)
		if fm == nil || len(outbox.Emails()) == 0 {
			t.Fatalf("email enrollment: %.300s", page)
		}
		// The newest code email: notices (here "a sign-in method was added",
		// for the authenticator app) are sent after their response and may
		// land after the code under load.
		emailCode := codeIn(t, latestCodeMail(t, outbox).Text)
		b.post(sec+"/verify", url.Values{"factor": {fm[1]}, "code": {"000000"}})
		b.post(sec+"/verify", url.Values{"factor": {fm[1]}, "code": {emailCode}})
		b2 := e.browser()
		v, authURL = r.start()
		resp, body = b2.passwordStep(authURL)
		arID, _ = at2FA(resp, body)
		b2.mfaPost("", arID, url.Values{"factor": {"backup"}, "code": {"ZZZZZ-ZZZZZ"}})
		resp, _ = b2.mfaPost("", arID, url.Values{"factor": {"backup"}, "code": {backup[0]}})
		r.exchange(rpRedirectQuery(resp), v)

		all := logs.String()
		if !strings.Contains(all, "msg=http") {
			t.Fatal("the logger captured nothing")
		}
		for what, secretValue := range map[string]string{"totp secret": totpSecret, "totp secret (lower case)": strings.ToLower(totpSecret), "totp code": enrollCode, "backup code": backup[0],
			"backup code (raw)": strings.ReplaceAll(backup[0], "-", "")} {
			if strings.Contains(all, secretValue) {
				t.Errorf("the %s appears in the logs", what)
			}
		}
		if strings.Contains(all, emailCode) {
			t.Error("the email code appears in the logs")
		}
	})
}

// TestMFASMSWebhookSignatureChecked: a receiver with another secret refuses
// Gatehouse's messages (the signature is what it trusts), and the user is
// told the code could not be sent.
func TestMFASMSWebhookSignatureChecked(t *testing.T) {
	wh := smstest.StartWebhook(t, strings.Repeat("r", 32))
	opt := func(o *idp.Options) {
		cfg := wh.Config()
		cfg.Secret = strings.Repeat("s", 32) // not the receiver's
		s, err := notify.NewWebhookSender(cfg)
		if err != nil {
			t.Fatal(err)
		}
		o.SMSSenders, o.DefaultSMSProvider = map[string]notify.SMSSender{"webhook": s}, "webhook"
	}
	forEachBackendWith(t, opt, func(t *testing.T, e *env) {
		e.setMFA("always", []string{"sms"}, 0)
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		_, authURL := r.start()
		resp, body := b.passwordStep(authURL)
		arID, _ := at2FA(resp, body)
		before := len(wh.Rejected())
		resp, body = b.mfaPost("/enroll", arID, url.Values{"kind": {"sms"}, "phone": {"+4915112345678"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "could not be sent") {
			t.Fatalf("send through a refusing webhook: %d %.300s", resp.StatusCode, body)
		}
		rej := wh.Rejected()
		if len(rej) != before+1 || !errors.Is(rej[len(rej)-1], notify.ErrWebhookSignature) {
			t.Fatalf("receiver rejections: %v", rej)
		}
		if len(wh.Messages()) != 0 {
			t.Fatal("a badly signed message was accepted")
		}
	})
}
