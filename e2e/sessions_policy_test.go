package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// TestSessionIdleAndLifetime: refresh is user activity that keeps a session
// from idling out; an idle session and one past its absolute lifetime
// refuse refresh. Measured with the injected clock.
func TestSessionIdleAndLifetime(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.updateTenant(func(s *store.TenantSettings) { s.SessionIdleMinutes = 30; s.SessionLifetimeHours = 2 })
		id, secret := e.webClient()
		r := e.rp(id, secret)
		refresh := func(rt string) (int, map[string]any) {
			return e.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, id, secret)
		}
		// Idle: activity every 29 minutes keeps it alive past the idle limit.
		tok := r.signIn(e.browser())
		rt := tok.RefreshToken
		for i := 0; i < 3; i++ {
			e.clock.Advance(29 * time.Minute)
			st, body := refresh(rt)
			if st != 200 {
				t.Fatalf("refresh %d within the idle timeout: %d %v", i, st, body)
			}
			rt = body["refresh_token"].(string)
		}
		e.clock.Advance(30 * time.Minute)
		if st, body := refresh(rt); st != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("refresh after 30 idle minutes: %d %v", st, body)
		}
		// Absolute: active all along, still over after 2 hours.
		tok = r.signIn(e.browser())
		rt = tok.RefreshToken
		for elapsed := 25 * time.Minute; elapsed < 2*time.Hour; elapsed += 25 * time.Minute {
			e.clock.Advance(25 * time.Minute)
			st, body := refresh(rt)
			if st != 200 {
				t.Fatalf("refresh at %s: %d %v", elapsed, st, body)
			}
			rt = body["refresh_token"].(string)
		}
		e.clock.Advance(25 * time.Minute)
		if st, body := refresh(rt); st != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("refresh past the 2 h lifetime: %d %v", st, body)
		}
	})
}

// logoutRP is a relying party's back-channel logout endpoint: it verifies
// each logout token with go-oidc against the tenant's JWKS and keeps them.
type logoutRP struct {
	hs       *httptest.Server
	verifier *oidc.IDTokenVerifier
	mu       sync.Mutex
	tokens   []map[string]any
	errs     []string
}

func newLogoutRP(t *testing.T) *logoutRP {
	l := &logoutRP{}
	l.hs = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			l.fail("bad request shape")
			http.Error(w, "bad", 400)
			return
		}
		raw := r.PostFormValue("logout_token")
		l.mu.Lock()
		v := l.verifier
		l.mu.Unlock()
		tok, err := v.Verify(r.Context(), raw)
		if err != nil {
			l.fail("verify: " + err.Error())
			http.Error(w, "bad token", 400)
			return
		}
		// The JOSE header says what it is (Back-Channel Logout 1.0, 2.4).
		jws, _ := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
		var claims map[string]any
		_ = tok.Claims(&claims)
		claims["_typ"] = jws.Signatures[0].Header.ExtraHeaders["typ"]
		l.mu.Lock()
		l.tokens = append(l.tokens, claims)
		l.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(l.hs.Close)
	return l
}

func (l *logoutRP) fail(s string) {
	l.mu.Lock()
	l.errs = append(l.errs, s)
	l.mu.Unlock()
}

func (l *logoutRP) received() ([]map[string]any, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]map[string]any(nil), l.tokens...), append([]string(nil), l.errs...)
}

var sessionRow = regexp.MustCompile(`<li class="session" id="s-([a-z0-9]+)">`)

// TestSessionsPageAndBackchannelLogout: the sessions page lists each active
// session with device, IP, times and apps; ending one revokes its refresh
// tokens and the app receives a verified logout token; "sign out
// everywhere else" keeps the current one; an admin revokes the rest.
func TestSessionsPageAndBackchannelLogout(t *testing.T) {
	var lrp *logoutRP // one per backend, made by the options hook
	forEachBackendOpts(t, func(t *testing.T, o *idp.Options) {
		lrp = newLogoutRP(t)
		o.BackchannelClient = lrp.hs.Client()
	}, func(t *testing.T, e *env) {
		id, secret := e.client(e.acme, manage.ClientSpec{Name: "Helpdesk", RedirectURIs: []string{rpRedirect},
			BackchannelLogoutURI: lrp.hs.URL + "/backchannel"})
		r := e.rp(id, secret)
		// go-oidc fetches the JWKS with the TLS client carried by e.ctx.
		p, err := oidc.NewProvider(e.ctx, e.issuer)
		if err != nil {
			t.Fatal(err)
		}
		lrp.mu.Lock()
		lrp.verifier = p.Verifier(&oidc.Config{ClientID: id, Now: e.clock.Now})
		lrp.mu.Unlock()

		me, laptop, phone := e.browser(), e.browser(), e.browser()
		r.signIn(me)
		laptopTok := r.signIn(laptop)
		phoneTok := r.signIn(phone)
		_, laptopClaims := r.idToken(laptopTok)

		resp, body := me.getWith(e.issuer+"/account/sessions", map[string]string{"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"})
		rows := sessionRow.FindAllStringSubmatch(body, -1)
		if resp.StatusCode != 200 || len(rows) != 3 || strings.Count(body, "This browser") != 1 ||
			strings.Count(body, "Helpdesk") != 3 || !strings.Contains(body, "127.0.0.1") || !strings.Contains(body, `<time datetime="`) ||
			!strings.Contains(body, `src="/static/times.js"`) {
			t.Fatalf("sessions page: %d, %d rows: %.2000s", resp.StatusCode, len(rows), body)
		}
		if resp, js := me.get(e.hs.URL + "/static/times.js"); resp.StatusCode != 200 || !strings.Contains(js, "Intl.DateTimeFormat") {
			t.Fatalf("times.js: %d", resp.StatusCode)
		}
		// End the laptop's session.
		resp, body = me.post(e.issuer+"/account/sessions/end", url.Values{"session": {laptopClaims.SID}})
		if resp.StatusCode != 200 || len(sessionRow.FindAllString(body, -1)) != 2 || strings.Contains(body, laptopClaims.SID) {
			t.Fatalf("end one session: %d %.500s", resp.StatusCode, body)
		}
		if st, _ := e.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {laptopTok.RefreshToken}}, id, secret); st != 400 {
			t.Fatalf("ended session's refresh token: %d", st)
		}
		if st, _ := e.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {phoneTok.RefreshToken}}, id, secret); st != 200 {
			t.Fatalf("other session's refresh token: %d", st)
		}
		toks, errs := lrp.received()
		if len(errs) > 0 || len(toks) != 1 {
			t.Fatalf("logout tokens: %v, errors %v", toks, errs)
		}
		lt := toks[0]
		events, _ := lt["events"].(map[string]any)
		if lt["sid"] != laptopClaims.SID || lt["sub"] != laptopClaims.Sub || lt["iss"] != e.issuer || lt["aud"] != id ||
			lt["jti"] == nil || lt["iat"] == nil || lt["nonce"] != nil || lt["_typ"] != "logout+jwt" ||
			events == nil || events["http://schemas.openid.net/event/backchannel-logout"] == nil {
			t.Fatalf("logout token claims: %v", lt)
		}
		// Another user's session id is not found.
		if resp, _ := me.post(e.issuer+"/account/sessions/end", url.Values{"session": {"nope"}}); resp.StatusCode != 404 {
			t.Fatalf("unknown session: %d", resp.StatusCode)
		}
		// Sign out everywhere else: the phone ends, this browser stays.
		resp, body = me.post(e.issuer+"/account/sessions/end-others", nil)
		if resp.StatusCode != 200 || len(sessionRow.FindAllString(body, -1)) != 1 || !strings.Contains(body, "This browser") {
			t.Fatalf("end others: %d %.500s", resp.StatusCode, body)
		}
		if toks, _ := lrp.received(); len(toks) != 2 {
			t.Fatalf("logout tokens after end-others: %d", len(toks))
		}
		// An admin revokes the last one.
		n, err := e.srv.Manage().RevokeSessions(context.Background(), e.acme, e.user(agentEmail).ID, "")
		if err != nil || n != 1 {
			t.Fatalf("admin revoke: %d %v", n, err)
		}
		if resp, _ := me.get(e.issuer + "/account/sessions"); resp.StatusCode != 200 || !strings.Contains(readAllBody(me, e.issuer+"/account/sessions"), `name="password"`) {
			t.Fatalf("after admin revoke the account page must ask to sign in: %d", resp.StatusCode)
		}
		if evs := e.auditEvents("session.backchannel_logout"); len(evs) != 3 || evs[0].Detail["result"] != "delivered" {
			t.Fatalf("backchannel audit: %d", len(evs))
		}
	})
}

func readAllBody(b *browser, u string) string {
	resp, err := b.client.Get(u)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}
