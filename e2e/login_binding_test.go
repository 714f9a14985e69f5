package e2e

import (
	"context"
	"go/ast"
	"go/token"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/internal/srcscan"
)

// loginRoute is one route of the login transaction as registered on the mux.
type loginRoute struct{ method, pattern string }

// loginRouteRE: the sign-in transaction's pages and zitadel's callback.
var loginRouteRE = regexp.MustCompile(`^(?:(GET|POST) )?(/t/\{tenant\}/(?:login(?:/.*)?|authorize/callback))$`)

// loginRoutes reads the route patterns of the idp tree (the root and every
// handler package: zitadel's callback is idp/op's) from its source: every
// string literal that is the first argument of a call (mux.Handle,
// mux.HandleFunc or a local helper such as post) and names a login route.
// A helper call without a method in the pattern (post(...)) is a POST.
func loginRoutes(t *testing.T) []loginRoute {
	t.Helper()
	fset, pkgs, err := srcscan.ParseTree("../idp")
	if err != nil || len(pkgs) == 0 {
		t.Fatalf("idp sources: %d packages, %v", len(pkgs), err)
	}
	var files []*ast.File
	for _, fs := range pkgs {
		files = append(files, fs...)
	}
	var out []loginRoute
	for _, af := range files {
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, _ := strconv.Unquote(lit.Value)
			m := loginRouteRE.FindStringSubmatch(v)
			if m == nil {
				return true
			}
			method := m[1]
			if id, ok := call.Fun.(*ast.Ident); ok && method == "" && id.Name == "post" {
				method = http.MethodPost
			}
			if method == "" {
				t.Fatalf("%s: login route %q without a method", fset.Position(lit.Pos()), v)
			}
			out = append(out, loginRoute{method, m[2]})
			return true
		})
	}
	return out
}

// notLoadingRequest are login routes that never load an auth request: the
// id they may carry only builds a "back to sign-in" link. Anything else
// under /login must refuse a request started by another browser.
var notLoadingRequest = []string{
	"GET /t/{tenant}/login/forgot", "POST /t/{tenant}/login/forgot",
	"GET /t/{tenant}/login/reset", "POST /t/{tenant}/login/reset",
}

// TestLoginBoundToBrowser: a sign-in request started by one browser cannot
// be continued, completed or collected by another browser (which has a
// binding cookie of its own) that learnt the request id: not the password
// form, not any second-factor step, passkey, federation or password-change
// route (enumerated from the source, so a new route is covered at once),
// and not zitadel's callback. The owner's transaction is untouched by the
// replays and completes afterwards.
func TestLoginBoundToBrowser(t *testing.T) {
	routes := loginRoutes(t)
	for _, want := range []string{"GET /t/{tenant}/login", "POST /t/{tenant}/login", "POST /t/{tenant}/login/2fa",
		"GET /t/{tenant}/authorize/callback", "GET /t/{tenant}/login/federated/{connection_id}/callback"} {
		if !slices.ContainsFunc(routes, func(r loginRoute) bool { return r.method+" "+r.pattern == want }) {
			t.Fatalf("route enumeration missed %s (found %v)", want, routes)
		}
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		e.setMFA("always", []string{"totp"}, 0)
		id, secret := e.webClient()
		r := e.rp(id, secret)
		// The other browser has started a sign-in of its own: it holds a
		// binding cookie, just not the owner's.
		foreign := e.browser()
		foreign.loginPage(r)
		refused := func(what string, resp *http.Response, body string) {
			t.Helper()
			if resp.StatusCode < 400 {
				t.Fatalf("%s from another browser: %d %q %.200s", what, resp.StatusCode, resp.Header.Get("Location"), body)
			}
			if foreign.sessionCookieValue() != "" {
				t.Fatalf("%s from another browser: it got a session", what)
			}
		}

		// 1. The password form of a fresh request, with the right password.
		own := e.browser()
		_, authURL := r.start()
		resp, page := own.get(authURL)
		arID := hiddenID.FindStringSubmatch(page)[1]
		resp, body := foreign.get(e.issuer + "/login?id=" + arID)
		refused("GET /login", resp, body)
		resp, body = foreign.post(e.issuer+"/login", url.Values{"id": {arID}, "email": {agentEmail}, "password": {agentPassword}})
		refused("POST /login", resp, body)

		// Gatehouse's own account pages start internal requests: bound too.
		acct := e.browser()
		resp, body = acct.get(e.issuer + "/account")
		m := hiddenID.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("account page: expected the login page: %d %.300s", resp.StatusCode, body)
		}
		resp, body = foreign.post(e.issuer+"/login", url.Values{"id": {m[1]}, "email": {agentEmail}, "password": {agentPassword}})
		refused("POST /login of an account-page request", resp, body)

		// 2. Enrolment of the first factor and the backup codes step.
		resp, body = own.post(e.issuer+"/login", url.Values{"id": {arID}, "email": {agentEmail}, "password": {agentPassword}})
		if _, ok := at2FA(resp, body); !ok {
			t.Fatalf("owner: expected the second-factor step: %d %.300s", resp.StatusCode, body)
		}
		resp, body = foreign.mfaPost("/enroll", arID, url.Values{"kind": {"totp"}})
		refused("POST /login/2fa/enroll", resp, body)
		totpSecret, _ := own.enrollTOTPInLogin(arID)
		resp, body = foreign.mfaPost("/codes", arID, nil)
		refused("POST /login/2fa/codes", resp, body)
		resp, body = foreign.get(e.issuer + "/login/2fa/codes.txt?id=" + arID)
		refused("GET /login/2fa/codes.txt", resp, body)
		resp, _ = own.mfaPost("/codes", arID, nil)
		if q := rpRedirectQuery(resp); q == nil || q.Get("code") == "" {
			t.Fatalf("owner could not finish after the replays: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}

		// 3. Every login route, with a request waiting at the challenge and
		// a valid TOTP code in the form.
		own = e.browser()
		v, authURL := r.start()
		resp, body = own.passwordStep(authURL)
		arID, ok := at2FA(resp, body)
		if !ok {
			t.Fatalf("owner: expected the challenge: %d %.300s", resp.StatusCode, body)
		}
		fid := factorRE.FindStringSubmatch(body)[1]
		e.clock.Advance(30 * time.Second)
		form := func() url.Values {
			return url.Values{"id": {arID}, "email": {agentEmail}, "password": {agentPassword}, "factor": {fid},
				"code": {oathtool(t, totpSecret, e.clock.Now())}, "kind": {"totp"}, "credential": {"{}"}, "step": {"x"}}
		}
		for _, rt := range routes {
			key := rt.method + " " + rt.pattern
			if slices.Contains(notLoadingRequest, key) {
				continue
			}
			path := strings.NewReplacer("{tenant}", "acme", "{connection_id}", "conn-x").Replace(rt.pattern)
			u := e.hs.URL + path
			if rt.method == http.MethodGet {
				resp, body = foreign.get(u + "?" + url.Values{"id": {arID}, "code": {"c"}, "state": {"s"}}.Encode())
			} else {
				resp, body = foreign.post(u, form())
			}
			refused(key, resp, body)
		}
		st, err := e.store.LoginState(context.Background(), e.acme.ID, arID, e.clock.Now())
		if err != nil || st.Step != "challenge" {
			t.Fatalf("the replays changed the owner's transaction: %+v, %v", st, err)
		}
		resp, _ = own.mfaPost("", arID, form())
		r.exchange(rpRedirectQuery(resp), v)

		// 4. zitadel's callback: the owner's completed request is collected
		// by the owner only. (The owner has a session now: SSO, but with a
		// fresh second factor as the tenant demands; stop at the callback.)
		e.setMFA("never", nil, 0)
		own.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if strings.Contains(req.URL.Path, "/authorize/callback") || !strings.HasPrefix(req.URL.String(), e.hs.URL) {
				return http.ErrUseLastResponse
			}
			return nil
		}
		v, authURL = r.start()
		resp, _ = own.get(authURL)
		cb := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusFound || !strings.Contains(cb, "/authorize/callback?id=") {
			t.Fatalf("owner: expected the redirect to the callback: %d %q", resp.StatusCode, cb)
		}
		if !strings.HasPrefix(cb, "http") {
			cb = e.hs.URL + cb
		}
		resp, body = foreign.get(cb)
		if strings.HasPrefix(resp.Header.Get("Location"), rpRedirect) || resp.StatusCode < 400 {
			t.Fatalf("another browser collected the code: %d %q %.200s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		resp, _ = own.get(cb)
		r.exchange(rpRedirectQuery(resp), v)
	})
}
