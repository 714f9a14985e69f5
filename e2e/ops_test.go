package e2e

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/idp/password"
)

func (e *env) getJSON(u string, v any) *http.Response {
	e.t.Helper()
	resp, err := e.hs.Client().Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		e.t.Fatalf("%s: %v", u, err)
	}
	return resp
}

// TestDiscoveryDocument: the document lists exactly what Gatehouse offers.
func TestDiscoveryDocument(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		var d map[string]any
		resp := e.getJSON(e.issuer+"/.well-known/openid-configuration", &d)
		if resp.Header.Get("Cache-Control") == "" {
			t.Error("discovery without Cache-Control")
		}
		want := map[string]any{
			"issuer":                 e.issuer,
			"authorization_endpoint": e.issuer + "/authorize",
			"token_endpoint":         e.issuer + "/oauth/token",
			"userinfo_endpoint":      e.issuer + "/userinfo",
			"introspection_endpoint": e.issuer + "/oauth/introspect",
			"revocation_endpoint":    e.issuer + "/revoke",
			"end_session_endpoint":   e.issuer + "/end_session",
			"jwks_uri":               e.issuer + "/keys",
		}
		for k, v := range want {
			if d[k] != v {
				t.Errorf("%s = %v, want %v", k, d[k], v)
			}
		}
		list := func(k string) []string {
			var out []string
			for _, v := range d[k].([]any) {
				out = append(out, v.(string))
			}
			return out
		}
		eq := map[string][]string{
			"code_challenge_methods_supported":      {"S256"},
			"response_types_supported":              {"code"},
			"grant_types_supported":                 {"authorization_code", "refresh_token", "client_credentials"},
			"id_token_signing_alg_values_supported": {"ES256"},
		}
		for k, v := range eq {
			if got := list(k); !slices.Equal(got, v) {
				t.Errorf("%s = %v, want %v", k, got, v)
			}
		}
		if _, ok := d["device_authorization_endpoint"]; ok {
			t.Error("advertises a device endpoint Gatehouse does not serve")
		}
		// Every tenant is its own issuer.
		var other map[string]any
		e.getJSON(e.hs.URL+"/t/other/.well-known/openid-configuration", &other)
		if other["issuer"] != e.hs.URL+"/t/other" {
			t.Errorf("tenant other issuer = %v", other["issuer"])
		}
		resp, _ = e.hs.Client().Get(e.hs.URL + "/t/nope/.well-known/openid-configuration")
		if resp.StatusCode != 404 {
			t.Errorf("unknown tenant discovery: %d", resp.StatusCode)
		}
	})
}

func kidOf(t testing.TB, jwt string) string {
	t.Helper()
	h, _, _ := strings.Cut(jwt, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct {
		Kid string `json:"kid"`
		Alg string `json:"alg"`
	}
	_ = json.Unmarshal(b, &hdr)
	if hdr.Alg != "ES256" {
		t.Fatalf("alg %q, want ES256", hdr.Alg)
	}
	return hdr.Kid
}

// TestKeyRotationAcrossReplicas: after a rotation the new key signs, the old
// one stays published, relying parties verify both, and a second replica
// sharing the database verifies tokens signed with a key it had not loaded.
func TestKeyRotationAcrossReplicas(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		r := e.rp(id, secret)
		b := e.browser()
		tok1 := r.signIn(b)
		kid1 := kidOf(t, tok1.AccessToken)

		// Replica B: same database and master key, its own caches.
		replica, err := idp.New(idp.Options{Store: e.store, Sealer: e.sealer, PublicURL: e.hs.URL, Clock: e.clock.Now,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Hasher: password.NewHasher(password.Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}, 2, nil)})
		if err != nil {
			t.Fatal(err)
		}
		rh := replica.Handler()
		introspectAt := func(h http.Handler, token string) map[string]any {
			req := httptest.NewRequest("POST", e.issuer+"/oauth/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(id, secret)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return decodeJSON(t, rec.Body)
		}
		if got := introspectAt(rh, tok1.AccessToken); got["active"] != true {
			t.Fatalf("replica introspection before rotation: %v", got)
		}

		kid2, err := e.srv.Manage().RotateKeys(e.ctx, e.acme)
		if err != nil {
			t.Fatal(err)
		}
		tok2 := e.ssoToken(r, b)
		if got := kidOf(t, tok2.AccessToken); got != kid2 || got == kid1 {
			t.Fatalf("new tokens signed with %q, want the new key %q", got, kid2)
		}
		// The replica has kid1 cached; it must learn kid2 on first sight.
		if got := introspectAt(rh, tok2.AccessToken); got["active"] != true {
			t.Fatalf("replica did not verify a token signed with the new key: %v", got)
		}
		// Both keys are published, with a cache lifetime.
		var jwks jose.JSONWebKeySet
		resp := e.getJSON(e.issuer+"/keys", &jwks)
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age") {
			t.Errorf("JWKS Cache-Control = %q", cc)
		}
		if len(jwks.Key(kid1)) != 1 || len(jwks.Key(kid2)) != 1 {
			t.Fatalf("JWKS should hold the old and the new key: %d keys", len(jwks.Keys))
		}
		for _, k := range jwks.Keys {
			if !k.IsPublic() {
				t.Fatal("JWKS exposes a private key")
			}
		}
		// The RP verifies ID tokens signed with either key.
		r.idToken(tok1)
		r.idToken(tok2)
		// Rotation is per tenant: tenant other still signs with its own key.
		var otherKeys jose.JSONWebKeySet
		e.getJSON(e.hs.URL+"/t/other/keys", &otherKeys)
		if len(otherKeys.Key(kid1))+len(otherKeys.Key(kid2)) != 0 {
			t.Fatal("tenant other publishes acme's keys")
		}
	})
}

// TestHealthReadinessMetrics: /healthz, /readyz and /metrics.
func TestHealthReadinessMetrics(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		id, secret := e.webClient()
		e.rp(id, secret).signIn(e.browser())
		for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
			resp, err := e.hs.Client().Get(e.hs.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
				t.Errorf("%s: %d %q", path, resp.StatusCode, b)
			}
		}
		resp, err := e.hs.Client().Get(e.hs.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, series := range []string{
			`gatehouse_http_requests_total{code="200",route="token"}`,
			`gatehouse_tokens_issued_total{grant="authorization_code"}`,
			`gatehouse_logins_total{method="password",result="succeeded"}`,
			`gatehouse_http_request_duration_seconds_bucket`,
			`go_goroutines`,
		} {
			if !strings.Contains(string(b), series) {
				t.Errorf("/metrics lacks %s", series)
			}
		}
		if strings.Contains(string(b), "/t/acme") {
			t.Error("metrics labels contain raw paths")
		}
		// Readiness follows the database.
		e.store.Close()
		resp, err = e.hs.Client().Get(e.hs.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("/readyz with the database closed: %d", resp.StatusCode)
		}
	})
}
