package op

import (
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// FuzzOAuthParams: the OAuth parameter parser never panics; a name sent
// twice (in one part, or once in the query and once in the body) is always
// refused; an accepted result has one value per name within the size
// bounds; and the request handed on carries exactly the accepted values —
// in r.Form, r.PostForm and the rebuilt body — whatever ParseForm a later
// reader calls. Seeds: f.Add below and testdata/fuzz/FuzzOAuthParams.
func FuzzOAuthParams(f *testing.F) {
	for _, s := range []struct{ query, body string }{
		{"response_type=code&client_id=c&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&state=s", ""},
		{"redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&redirect_uri=https%3A%2F%2Flocalhost%3A4444%2Fcb", ""},
		{"client_id=a", "client_id=b"},
		{"", "grant_type=client_credentials&grant_type=client_credentials"},
		{"", "grant_type=authorization_code&code=x&code_verifier=y"},
		{"a=%zz", ""},
		{"a=1;b=2", ""},
		{"=x", ""},
		{"&&a=1&&", "b="},
		{"a", "a="},
		{"scope=openid+profile", "state=%C3%A9"},
		{strings.Repeat("k", 65) + "=v", ""},
		{"v=" + strings.Repeat("x", maxParamLen+1), ""},
	} {
		f.Add(s.query, s.body)
	}
	f.Fuzz(func(t *testing.T, query, body string) {
		got, perr := parseParamStrings(query, body)
		q, qerr := url.ParseQuery(query)
		b, berr := url.ParseQuery(body)
		if qerr == nil && berr == nil {
			for name, vs := range q {
				if len(vs)+len(b[name]) > 1 && perr == nil {
					t.Fatalf("%q sent %d times, accepted", name, len(vs)+len(b[name]))
				}
			}
			for name, vs := range b {
				if len(vs) > 1 && perr == nil {
					t.Fatalf("%q sent %d times in the body, accepted", name, len(vs))
				}
			}
		} else if perr == nil {
			t.Fatalf("badly encoded input accepted: %v %v", qerr, berr)
		}
		if perr != nil {
			if perr.status != http.StatusBadRequest || perr.desc == "" {
				t.Fatalf("refusal %+v", perr)
			}
			return
		}
		if len(got) > maxOAuthParams {
			t.Fatalf("%d parameters accepted", len(got))
		}
		for name, vs := range got {
			if len(vs) != 1 || name == "" || len(name) > maxParamNameLen || len(vs[0]) > maxParamLen {
				t.Fatalf("accepted %q = %q", name, vs)
			}
			if want := append(q[name], b[name]...); !reflect.DeepEqual(vs, want) {
				t.Fatalf("%q = %q, sent %q", name, vs, want)
			}
		}

		// Through the HTTP request: an authorize POST with query and body.
		r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/t/acme/authorize", RawQuery: query},
			Header: http.Header{"Content-Type": {formURLEncodedMIME}}, Body: io.NopCloser(strings.NewReader(body))}
		params, perr := parseOAuthParams(r, kindAuthorize)
		if perr != nil || !reflect.DeepEqual(params, got) {
			t.Fatalf("parseOAuthParams = %v %+v, parseParamStrings = %v", params, perr, got)
		}
		seen := withParams(r, params)
		if err := seen.ParseForm(); err != nil {
			t.Fatal(err)
		}
		if seen.URL.RawQuery != "" || !sameValues(seen.Form, params) || !sameValues(seen.PostForm, params) {
			t.Fatalf("handed on query %q form %v post form %v, want %v", seen.URL.RawQuery, seen.Form, seen.PostForm, params)
		}
		rebuilt, _ := io.ReadAll(seen.Body)
		if again, err := url.ParseQuery(string(rebuilt)); err != nil || !sameValues(again, params) {
			t.Fatalf("rebuilt body %q, want %v", rebuilt, params)
		}
		// A machine endpoint refuses any query string.
		r = &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/t/acme/oauth/token", RawQuery: query},
			Header: http.Header{"Content-Type": {formURLEncodedMIME}}, Body: io.NopCloser(strings.NewReader(body))}
		if _, perr := parseOAuthParams(r, kindToken); (perr == nil) != (query == "") {
			t.Fatalf("token endpoint with query %q: %+v", query, perr)
		}
	})
}

func sameValues(a, b url.Values) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}
