package session

import (
	"strings"
	"testing"
)

func TestCheckBackchannelURI(t *testing.T) {
	for uri, ok := range map[string]bool{
		"https://desk.example.com/bcl":         true,
		"https://desk.example.com/bcl?x=1":     true,
		"http://127.0.0.1:8080/bcl":            true,
		"http://localhost/bcl":                 true,
		"http://desk.example.com/bcl":          false,
		"https://desk.example.com/bcl#frag":    false,
		"https://user:pw@desk.example.com/bcl": false,
		"/relative":                            false,
		"ftp://desk.example.com/":              false,
		"https://" + strings.Repeat("a", 3000): false,
	} {
		if err := CheckBackchannelURI(uri); (err == nil) != ok {
			t.Errorf("CheckBackchannelURI(%q) = %v, want ok=%v", uri, err, ok)
		}
	}
}
