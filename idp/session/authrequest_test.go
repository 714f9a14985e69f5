package session

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// TestAuthRequestsBoundToTheBrowser: a new request sets the binding cookie
// once and stores its hash; a second request of the same browser keeps the
// cookie; only that browser's cookie passes BoundToBrowser.
func TestAuthRequestsBoundToTheBrowser(t *testing.T) {
	f := newFixture(t)
	newRequest := func() *store.AuthRequest {
		return &store.AuthRequest{ID: store.NewID(), TenantID: f.t.ID, ClientID: "app", RedirectURI: "https://app.example.test/cb",
			Scopes: []string{"openid"}, ResponseType: "code", CreatedAt: f.now, ExpiresAt: f.now.Add(AuthRequestTTL)}
	}
	create := func(cookies ...*http.Cookie) (*store.AuthRequest, []*http.Cookie) {
		t.Helper()
		w, ar := httptest.NewRecorder(), newRequest()
		if err := f.svc.CreateAuthRequest(w, f.request(cookies...), f.t, ar); err != nil {
			t.Fatal(err)
		}
		return ar, w.Result().Cookies()
	}
	first, cookies := create()
	if len(cookies) != 1 || cookies[0].Name != "__Host-gh_login_acme" || !cookies[0].Secure || !cookies[0].HttpOnly ||
		cookies[0].SameSite != http.SameSiteLaxMode || cookies[0].Path != "/" {
		t.Fatalf("binding cookie: %+v", cookies)
	}
	stored, err := f.st.AuthRequestByID(t.Context(), f.t.ID, first.ID)
	if err != nil || len(stored.BrowserBinding) == 0 {
		t.Fatalf("stored request: %+v %v", stored, err)
	}
	if !f.svc.BoundToBrowser(f.request(cookies...), f.t, stored) {
		t.Fatal("the browser that started the request is refused")
	}
	second, again := create(cookies...)
	if len(again) != 0 {
		t.Fatalf("a browser with a binding got a new cookie: %+v", again)
	}
	if !f.svc.BoundToBrowser(f.request(cookies...), f.t, second) {
		t.Fatal("a second tab's request is refused")
	}

	_, other := create()
	for name, r := range map[string]*http.Request{
		"no cookie":       f.request(),
		"another browser": f.request(other...),
		"short value":     f.request(&http.Cookie{Name: cookies[0].Name, Value: "abc"}),
	} {
		if f.svc.BoundToBrowser(r, f.t, stored) {
			t.Errorf("%s: accepted", name)
		}
	}
	if f.svc.BoundToBrowser(f.request(cookies...), f.t, &store.AuthRequest{}) {
		t.Error("a request without a binding: accepted")
	}
}
