package e2e

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAuthorizeRefusalSaysWhy: a redirect_uri that is not registered is
// refused with a page that, in dev mode only, names the rejected URI and the
// registered ones; the refusal is always logged with the client id.
func TestAuthorizeRefusalSaysWhy(t *testing.T) {
	for _, dev := range []bool{false, true} {
		logs := &lockedBuffer{}
		e := newEnv(t, "sqlite", func(o *idp.Options) {
			o.Dev = dev
			o.Logger = slog.New(slog.NewTextHandler(logs, nil))
		})
		id, _ := e.webClient()
		q := url.Values{"client_id": {id}, "redirect_uri": {"https://evil.example/cb"}, "response_type": {"code"},
			"scope": {"openid"}, "code_challenge": {"x"}, "code_challenge_method": {"S256"}}
		resp, body := e.browser().get(e.issuer + "/authorize?" + q.Encode())
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Invalid redirect address") {
			t.Fatalf("dev=%v: %d %.300s", dev, resp.StatusCode, body)
		}
		detailed := strings.Contains(body, "https://evil.example/cb") && strings.Contains(body, rpRedirect)
		if detailed != dev {
			t.Fatalf("dev=%v: the page names the URIs: %v\n%.600s", dev, detailed, body)
		}
		if l := logs.String(); !strings.Contains(l, "authorize refused") || !strings.Contains(l, "client_id="+id) ||
			!strings.Contains(l, "reason=redirect_uri_not_registered") {
			t.Fatalf("dev=%v: log: %s", dev, l)
		}
	}
}
