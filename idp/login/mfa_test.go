package login

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/policy"
)

func TestACRDemandsMFA(t *testing.T) {
	for _, tc := range []struct {
		values []string
		have   string
		want   bool
	}{
		{nil, policy.ACRPassword, false},
		{[]string{policy.ACRPassword}, policy.ACRPassword, false},
		{[]string{policy.ACRMFA}, policy.ACRPassword, true},
		{[]string{policy.ACRMFA}, policy.ACRMFA, false},
		{[]string{policy.ACRPhishingResistant}, policy.ACRMFA, true},
		{[]string{policy.ACRMFA}, policy.ACRPhishingResistant, false},
		{[]string{"urn:other:gold"}, policy.ACRPassword, false}, // values we do not issue are wishes
		{[]string{"urn:other:gold", policy.ACRMFA}, "", true},
	} {
		if got := acrDemandsMFA(tc.values, tc.have); got != tc.want {
			t.Errorf("acrDemandsMFA(%v, %q) = %v, want %v", tc.values, tc.have, got, tc.want)
		}
	}
}

func TestEncodeMethodsRoundTrip(t *testing.T) {
	ms := []policy.Method{policy.MethodFederated, policy.MethodUpstreamMFA}
	up := []string{"pwd", "mfa"}
	enc := encodeMethods(ms, up)
	gotM, gotUp := decodeMethods(enc)
	if !slices.Equal(gotM, ms) || !slices.Equal(gotUp, up) {
		t.Fatalf("round trip: %v %v from %v", gotM, gotUp, enc)
	}
	if m, u := decodeMethods(nil); m != nil || u != nil {
		t.Fatal("empty round trip")
	}
}

func TestNetworkLocation(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.77":          "net:203.0.113.0/24",
		"::ffff:203.0.113.77":   "net:203.0.113.0/24",
		"2001:db8:1:2::7":       "net:2001:db8:1::/48",
		"2001:db8:1:ffff::ab%x": "net:2001:db8:1::/48",
	} {
		key, _ := NetworkLocation(netip.MustParseAddr(in))
		if key != want {
			t.Errorf("NetworkLocation(%s) = %q, want %q", in, key, want)
		}
	}
	if key, _ := NetworkLocation(netip.Addr{}); key != "" {
		t.Errorf("invalid address keyed %q", key)
	}
}
