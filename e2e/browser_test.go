package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
)

// chromium starts headless Debian Chromium (the test script installs it).
func chromium(t *testing.T) context.Context {
	t.Helper()
	if os.Getenv("GATEHOUSE_SKIP_BROWSER") == "1" {
		t.Skip("GATEHOUSE_SKIP_BROWSER=1")
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found (apt-get install chromium, or set GATEHOUSE_SKIP_BROWSER=1)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.IgnoreCertErrors,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	// No deadline on this context: chromedp ties the browser's life to the
	// context of the first call; the go test timeout bounds the test.
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	return ctx
}

// browse runs steps like chromedp.Do, but runs a step again when it failed
// because the node its query found belonged to a document that a navigation
// replaced a moment later (Chromium: "Could not find node with given id").
// Under load a click that submits a form can leave the next step's query
// racing the new page; a step that failed that way clicked or typed
// nothing, so running it again is safe. Any other error stops at once.
func browse(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	return chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, step := range steps {
			for try := 1; ; try++ {
				_, err := step(ctx, t)
				if err == nil {
					break
				}
				if try == 20 || !strings.Contains(err.Error(), "Could not find node with given id") {
					return err
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		return nil
	}))
}

// helpdeskApp is the relying party's callback: it records the codes it
// receives and shows a page the browser can wait for.
type helpdeskApp struct {
	*httptest.Server
	mu    sync.Mutex
	codes []string
}

func newHelpdeskApp(t *testing.T) *helpdeskApp {
	a := &helpdeskApp{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cb" { // the browser also asks for /favicon.ico
			http.NotFound(w, r)
			return
		}
		a.mu.Lock()
		a.codes = append(a.codes, r.URL.Query().Get("code"))
		a.mu.Unlock()
		fmt.Fprint(w, "<!doctype html><title>Helpdesk</title><h1 id=helpdesk>Helpdesk</h1>")
	}))
	t.Cleanup(a.Close)
	return a
}

// received returns how many codes arrived and the last one.
func (a *helpdeskApp) received() (int, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.codes) == 0 {
		return 0, ""
	}
	return len(a.codes), a.codes[len(a.codes)-1]
}

// TestBrowserSignIn: a real browser fills the labelled form, the helpdesk
// app receives a code and exchanges it; a second visit is single sign-on.
func TestBrowserSignIn(t *testing.T) {
	e := newEnv(t, "sqlite")
	app := newHelpdeskApp(t)
	id, secret := e.client(e.acme, manage.ClientSpec{Name: "Acme Helpdesk", RedirectURIs: []string{app.URL + "/cb"}})
	r := e.rp(id, secret)
	r.oauth.RedirectURL = app.URL + "/cb"
	ctx := chromium(t)

	v, ch := pkce()
	err := browse(ctx,
		chromedp.Navigate(r.authURL("st", ch)),
		chromedp.WaitVisible(`input[name="email"]`),
	)
	if err != nil {
		t.Fatalf("open the login page: %v", err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(`h1`))
	if err != nil || heading != "Sign in" {
		t.Fatalf("login page heading %q: %v", heading, err)
	}
	// The fields are labelled "Email" and "Password", the button "Sign in".
	for sel, want := range map[string]string{`label[for="email"]`: "Email", `label[for="password"]`: "Password", `form button[type="submit"]`: "Sign in"} {
		if got, err := chromedp.Run(ctx, chromedp.Text(sel)); err != nil || got != want {
			t.Fatalf("%s text %q, want %q (%v)", sel, got, want, err)
		}
	}
	err = browse(ctx,
		chromedp.SendKeys(`#email`, agentEmail),
		chromedp.SendKeys(`#password`, agentPassword),
		chromedp.Click(`form button[type="submit"]`),
		chromedp.WaitVisible(`#helpdesk`),
	)
	if err != nil {
		t.Fatalf("browser sign-in: %v", err)
	}
	_, code := app.received()
	tok, err := r.oauth.Exchange(e.ctx, code, oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("exchange the code the browser delivered: %v", err)
	}
	_, c := r.idToken(tok)
	if c.Email != agentEmail {
		t.Fatalf("id token email %q", c.Email)
	}

	// Single sign-on: the same browser gets a code without the form.
	_, ch2 := pkce()
	before, _ := app.received()
	if err := browse(ctx, chromedp.Navigate(r.authURL("st2", ch2)), chromedp.WaitVisible(`#helpdesk`)); err != nil {
		t.Fatalf("SSO visit: %v", err)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := app.received(); n != before+1 || !strings.HasPrefix(url, app.URL) {
		t.Fatalf("SSO did not deliver a code: %d codes, at %s", n, url)
	}

	// A wrong password shows the error on the page, in the browser.
	ctx2 := chromium(t)
	err = browse(ctx2,
		chromedp.Navigate(r.authURL("st3", ch)),
		chromedp.SendKeys(`input[name="email"]`, agentEmail),
		chromedp.SendKeys(`input[name="password"]`, "not-the-password"),
		chromedp.Click(`button[type="submit"]`),
		chromedp.WaitVisible(`[role="alert"]`),
	)
	if err != nil {
		t.Fatalf("wrong password in the browser: %v", err)
	}
	msg, err := chromedp.Run(ctx2, chromedp.Text(`[role="alert"]`))
	if err != nil || msg != "Incorrect email or password." {
		t.Fatalf("wrong-password message %q: %v", msg, err)
	}
}

// TestBrowserSecondFactor: in a real browser, a tenant that demands a second
// factor walks the agent through authenticator-app enrolment (the secret
// shown on the page, the code from oathtool), shows backup codes, and only
// then lets the helpdesk app have its code.
func TestBrowserSecondFactor(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.setMFA("always", []string{"totp"}, 0)
	app := newHelpdeskApp(t)
	id, secret := e.client(e.acme, manage.ClientSpec{Name: "Acme Helpdesk", RedirectURIs: []string{app.URL + "/cb"}})
	r := e.rp(id, secret)
	r.oauth.RedirectURL = app.URL + "/cb"
	ctx := chromium(t)
	v, ch := pkce()
	err := browse(ctx,
		chromedp.Navigate(r.authURL("st", ch)),
		chromedp.SendKeys(`#email`, agentEmail),
		chromedp.SendKeys(`#password`, agentPassword),
		chromedp.Click(`form button[type="submit"]`),
		// Enrolment: choose the authenticator app.
		chromedp.Click(`//input[@name="kind" and @value="totp"]/following-sibling::button`),
		chromedp.WaitVisible(`#totp-secret`),
	)
	if err != nil {
		t.Fatalf("reach TOTP enrolment: %v", err)
	}
	if n, _ := app.received(); n != 0 {
		t.Fatal("the app got a code before the second factor")
	}
	shown, err := chromedp.Run(ctx, chromedp.Text(`#totp-secret`))
	if err != nil {
		t.Fatal(err)
	}
	code := oathtool(t, strings.ReplaceAll(shown, " ", ""), e.clock.Now())
	err = browse(ctx,
		chromedp.SendKeys(`#code`, code),
		chromedp.Click(`form[action$="/enroll/verify"] button`),
		// Backup codes are shown once; confirm they were saved.
		chromedp.Click(`input[name="saved"]`),
		chromedp.Click(`form[action$="/codes"] button`),
		chromedp.WaitVisible(`#helpdesk`),
	)
	if err != nil {
		t.Fatalf("enrol and continue: %v", err)
	}
	_, last := app.received()
	tok, err := r.oauth.Exchange(e.ctx, last, oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	_, c := r.idToken(tok)
	if !slices.Contains(c.AMR, "otp") || !slices.Contains(c.AMR, "pwd") || c.ACR != "urn:gatehouse:acr:mfa" {
		t.Fatalf("amr %v acr %q, want pwd+otp and acr mfa", c.AMR, c.ACR)
	}
}
