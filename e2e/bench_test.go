package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-idp/gatehouse/idp/manage"
)

// In-process micro-benchmarks of the hot endpoints on PostgreSQL, for
// profiling (go test -bench . -cpuprofile). The end-to-end load benchmark
// with a separate server process is bench/ (docs/benchmarks.md).

func benchEnv(b *testing.B) (*env, string, string, string) {
	e := newEnv(b, "postgres")
	id, secret := e.client(e.acme, manage.ClientSpec{Name: "m", Grants: []string{"client_credentials"}})
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.issuer + "/oauth/token"}
	tok, err := cc.Token(e.ctx)
	if err != nil {
		b.Fatal(err)
	}
	return e, id, secret, tok.AccessToken
}

func BenchmarkIntrospection(b *testing.B) {
	e, id, secret, tok := benchEnv(b)
	body := url.Values{"token": {tok}}.Encode()
	client := e.hs.Client()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", e.issuer+"/oauth/introspect", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(id, secret)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

func BenchmarkClientCredentials(b *testing.B) {
	e, id, secret, _ := benchEnv(b)
	client := e.hs.Client()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", e.issuer+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(id, secret)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

func BenchmarkRefresh(b *testing.B) {
	e := newEnv(b, "postgres")
	id, secret := e.webClient()
	r := e.rp(id, secret)
	client := e.hs.Client()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		b.StopTimer()
		rt := r.signIn(e.browser()).RefreshToken // each worker: its own session and family
		b.StartTimer()
		for pb.Next() {
			req, _ := http.NewRequest("POST", e.issuer+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(id, secret)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			m := decodeJSON(b, resp.Body)
			resp.Body.Close()
			next, _ := m["refresh_token"].(string)
			if next == "" {
				b.Fatalf("refresh: %v", m)
			}
			rt = next
		}
	})
}
