package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
	"github.com/gatehouse-idp/gatehouse/idp/seal"
)

// lazyCall is a named request sent when the test reaches it.
type lazyCall struct {
	name string
	do   func() rawResponse
}

// TestRevocationBoundToClient (issue 8, defect 10): RFC 7009 §2.1. The
// revoking client is authenticated (a confidential client by its secret, a
// public client by its client_id) and a token is revoked only when it was
// issued to that client. Another client's token — access or refresh — is
// answered 200 and left alone, so the answer reveals nothing.
func TestRevocationBoundToClient(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		aID, aSecret := e.webClient()
		a := e.rp(aID, aSecret)
		tok := a.signIn(e.browser())
		bID, bSecret := e.client(e.acme, manage.ClientSpec{Name: "Other app", RedirectURIs: []string{rpRedirect}})
		pubID, _ := e.client(e.acme, manage.ClientSpec{Name: "Desktop", Public: true, RedirectURIs: []string{"http://127.0.0.1/cb"}})
		ccID, ccSecret := e.client(e.acme, manage.ClientSpec{Name: "Sync", Grants: []string{"client_credentials"}})
		otherTenantID, otherTenantSecret := e.client(e.other, manage.ClientSpec{Name: "B", Grants: []string{"client_credentials"}})
		revoke := e.issuer + "/revoke"
		form := func(kv ...string) string {
			v := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v.Encode()
		}
		stillGood := func(what string) {
			t.Helper()
			if got := e.introspect(aID, aSecret, tok.AccessToken); got["active"] != true {
				t.Fatalf("%s: client A's access token was revoked: %v", what, got)
			}
			if got := e.introspect(aID, aSecret, tok.RefreshToken); got["active"] != true {
				t.Fatalf("%s: client A's refresh token was revoked: %v", what, got)
			}
		}

		// Other clients, each authenticated as itself: 200, nothing revoked.
		for _, c := range []lazyCall{
			{"confidential B, access token, basic", func() rawResponse {
				return e.raw("POST", revoke, formType, form("token", tok.AccessToken), bID, bSecret)
			}},
			{"confidential B, access token, post", func() rawResponse {
				return e.raw("POST", revoke, formType, form("token", tok.AccessToken, "client_id", bID, "client_secret", bSecret), "", "")
			}},
			{"confidential B, refresh token", func() rawResponse {
				return e.raw("POST", revoke, formType, form("token", tok.RefreshToken, "token_type_hint", "refresh_token"), bID, bSecret)
			}},
			{"confidential B, refresh, wrong hint", func() rawResponse {
				return e.raw("POST", revoke, formType, form("token", tok.RefreshToken, "token_type_hint", "access_token"), bID, bSecret)
			}},
			{"public client, access token", func() rawResponse {
				return e.raw("POST", revoke, formType, form("token", tok.AccessToken, "client_id", pubID), "", "")
			}},
			{"public client, refresh token", func() rawResponse {
				return e.raw("POST", revoke, formType, form("token", tok.RefreshToken, "client_id", pubID), "", "")
			}},
			{"machine client, access token", func() rawResponse {
				return e.raw("POST", revoke, formType, form("token", tok.AccessToken), ccID, ccSecret)
			}},
			{"other tenant's client at its issuer", func() rawResponse {
				return e.raw("POST", e.hs.URL+"/t/other/revoke", formType, form("token", tok.AccessToken), otherTenantID, otherTenantSecret)
			}},
			{"other tenant's client, refresh token", func() rawResponse {
				return e.raw("POST", e.hs.URL+"/t/other/revoke", formType, form("token", tok.RefreshToken), otherTenantID, otherTenantSecret)
			}},
		} {
			name, r := c.name, c.do()
			if r.status != http.StatusOK {
				t.Errorf("%s: %d %s, want 200", name, r.status, r.body)
			}
			stillGood(name)
		}
		// Unauthenticated or wrongly authenticated callers: invalid_client.
		for _, c := range []lazyCall{
			{"no client", func() rawResponse { return e.raw("POST", revoke, formType, form("token", tok.AccessToken), "", "") }},
			{"A's id without its secret", func() rawResponse {
				return e.raw("POST", revoke, formType, form("token", tok.AccessToken, "client_id", aID), "", "")
			}},
			{"A with a wrong secret", func() rawResponse {
				return e.raw("POST", revoke, formType, form("token", tok.AccessToken), aID, "wrong")
			}},
			{"unknown client", func() rawResponse {
				return e.raw("POST", revoke, formType, form("token", tok.AccessToken, "client_id", "nope"), "", "")
			}},
			{"public client with a secret", func() rawResponse {
				return e.raw("POST", revoke, formType, form("token", tok.AccessToken), pubID, "anything")
			}},
			{"A's client at another tenant", func() rawResponse {
				return e.raw("POST", e.hs.URL+"/t/other/revoke", formType, form("token", tok.AccessToken), aID, aSecret)
			}},
			{"A's id in post, secret absent", func() rawResponse {
				return e.raw("POST", revoke, formType, form("token", tok.RefreshToken, "client_id", aID, "client_secret", ""), "", "")
			}},
		} {
			name, r := c.name, c.do()
			if r.status != http.StatusUnauthorized || r.json["error"] != "invalid_client" {
				t.Errorf("%s: %d %s, want 401 invalid_client", name, r.status, r.body)
			}
			stillGood(name)
		}
		if r := e.raw("POST", revoke, formType, form("token_type_hint", "access_token"), aID, aSecret); !r.invalidRequest(http.StatusBadRequest) {
			t.Errorf("no token: %d %s, want invalid_request", r.status, r.body)
		}

		// The owner revokes: access token alone, then the refresh token's family.
		if r := e.raw("POST", revoke, formType, form("token", tok.AccessToken), aID, aSecret); r.status != http.StatusOK {
			t.Fatalf("owner revoking its access token: %d %s", r.status, r.body)
		}
		if got := e.introspect(aID, aSecret, tok.AccessToken); got["active"] != false {
			t.Fatalf("owner's revocation of the access token did not take: %v", got)
		}
		if r := e.raw("POST", revoke, formType, form("token", tok.RefreshToken), aID, aSecret); r.status != http.StatusOK {
			t.Fatalf("owner revoking its refresh token: %d %s", r.status, r.body)
		}
		if got := e.introspect(aID, aSecret, tok.RefreshToken); got["active"] != false {
			t.Fatalf("owner's revocation of the refresh token did not take: %v", got)
		}
		if evs := e.auditEvents("token.revoked"); len(evs) != 2 {
			t.Fatalf("token.revoked events: %d, want 2 (one per owner revocation)", len(evs))
		}

		// A machine token is revoked by its own client only.
		cc := clientcredentials.Config{ClientID: ccID, ClientSecret: ccSecret, TokenURL: e.issuer + "/oauth/token"}
		mt, err := cc.Token(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r := e.raw("POST", revoke, formType, form("token", mt.AccessToken), bID, bSecret); r.status != http.StatusOK {
			t.Fatalf("B revoking a machine token: %d", r.status)
		}
		if got := e.introspect(ccID, ccSecret, mt.AccessToken); got["active"] != true {
			t.Fatalf("machine token revoked by another client: %v", got)
		}
		if r := e.raw("POST", revoke, formType, form("token", mt.AccessToken), ccID, ccSecret); r.status != http.StatusOK {
			t.Fatalf("machine client revoking its own token: %d", r.status)
		}
		if got := e.introspect(ccID, ccSecret, mt.AccessToken); got["active"] != false {
			t.Fatalf("machine token still active after its client revoked it: %v", got)
		}
	})
}

// TestRevocationPublicClient: a public client revokes its own tokens with
// its client_id alone (RFC 7009 §2.1, RFC 8252 §8.5).
func TestRevocationPublicClient(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		pubID, _ := e.client(e.acme, manage.ClientSpec{Name: "Desktop", Public: true, RedirectURIs: []string{rpRedirect}})
		pub := e.rp(pubID, "")
		tok := pub.signIn(e.browser())
		otherPubID, _ := e.client(e.acme, manage.ClientSpec{Name: "Mobile", Public: true, RedirectURIs: []string{rpRedirect}})
		revoked := func() bool {
			rt, err := e.store.RefreshTokenByHash(e.ctx, e.acme.ID, seal.HashToken(tok.RefreshToken))
			if err != nil {
				t.Fatal(err)
			}
			return rt.RevokedAt != nil
		}
		if r := e.raw("POST", e.issuer+"/revoke", formType, url.Values{"token": {tok.RefreshToken}, "client_id": {otherPubID}}.Encode(), "", ""); r.status != http.StatusOK {
			t.Fatalf("other public client: %d %s", r.status, r.body)
		}
		if revoked() {
			t.Fatal("another public client revoked the refresh token")
		}
		if r := e.raw("POST", e.issuer+"/revoke", formType, url.Values{"token": {tok.RefreshToken}, "client_id": {pubID}}.Encode(), "", ""); r.status != http.StatusOK {
			t.Fatalf("own public client: %d %s", r.status, r.body)
		}
		if !revoked() {
			t.Fatal("refresh token not revoked by its own public client")
		}
		// An SPA revokes from the browser: CORS as at the token endpoint.
		req, _ := http.NewRequest(http.MethodOptions, e.issuer+"/revoke", nil)
		req.Header.Set("Origin", "https://agent.acme.test")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := e.hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("revocation preflight: %d %v", resp.StatusCode, resp.Header)
		}
		st, _ := e.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {pubID}}, "", "")
		if st == http.StatusOK {
			t.Fatal("refresh token still works after its public client revoked it")
		}
	})
}
