package login

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/seal"
)

func TestPasswordStep(t *testing.T) {
	sealer, err := seal.New(make([]byte, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_900_000_000, 0)
	h := &Handler{Sealer: sealer, Clock: func() time.Time { return now }}
	v := h.stepValue("t1", "ar1", "u1", now.Add(stepTTL))
	if uid, ok := h.checkStep(v, "t1", "ar1"); !ok || uid != "u1" {
		t.Fatalf("valid step: %q %v", uid, ok)
	}
	for name, bad := range map[string]func() (string, string, string){
		"other request": func() (string, string, string) { return v, "t1", "ar2" },
		"other tenant":  func() (string, string, string) { return v, "t2", "ar1" },
		"other user, old mac": func() (string, string, string) {
			other := h.stepValue("t1", "ar1", "u2", now.Add(stepTTL))
			return strings.Split(other, ".")[0] + "." + strings.Split(v, ".")[1], "t1", "ar1"
		},
		"no mac":  func() (string, string, string) { return strings.Split(v, ".")[0], "t1", "ar1" },
		"expired": func() (string, string, string) { return h.stepValue("t1", "ar1", "u1", now), "t1", "ar1" },
	} {
		val, tid, ar := bad()
		if _, ok := h.checkStep(val, tid, ar); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}
