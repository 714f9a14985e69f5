package manage

import (
	"strings"
	"testing"
)

func TestValidateClientSpec(t *testing.T) {
	cases := []struct {
		name string
		spec ClientSpec
		want []string // substrings of problems; nil = valid
	}{
		{"web ok", ClientSpec{Name: "A", AppType: "web", Grants: []string{"authorization_code"}, RedirectURIs: []string{"https://a.example/cb"}}, nil},
		{"machine ok", ClientSpec{Name: "A", AppType: "web", Grants: []string{"client_credentials"}}, nil},
		{"native custom scheme", ClientSpec{Name: "A", Public: true, AppType: "native", Grants: []string{"authorization_code"}, RedirectURIs: []string{"com.example.app:/cb"}}, nil},
		{"web custom scheme", ClientSpec{Name: "A", AppType: "web", Grants: []string{"authorization_code"}, RedirectURIs: []string{"com.example.app:/cb"}}, []string{"scheme"}},
		{"javascript scheme", ClientSpec{Name: "A", Public: true, AppType: "native", Grants: []string{"authorization_code"}, RedirectURIs: []string{"javascript:alert(1)"}}, []string{"scheme"}},
		{"relative", ClientSpec{Name: "A", AppType: "web", Grants: []string{"authorization_code"}, RedirectURIs: []string{"/cb"}}, []string{"absolute"}},
		{"spa confidential", ClientSpec{Name: "A", AppType: "spa", Grants: []string{"authorization_code"}, RedirectURIs: []string{"https://a.example/cb"}}, []string{"--public"}},
		{"all at once", ClientSpec{Name: "", AppType: "x", Grants: []string{"password", "password"}}, []string{"name is required", `app type "x"`, `grant "password" must`, "listed twice"}},
	}
	for _, c := range cases {
		err := validateClientSpec(&c.spec)
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: unexpected error %v", c.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not mention %q", c.name, err, w)
			}
		}
	}
}
