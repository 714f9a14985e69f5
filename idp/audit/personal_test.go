package audit

import (
	"slices"
	"testing"
)

func TestPersonalKinds(t *testing.T) {
	known := map[string]bool{}
	for _, e := range Catalogue() {
		known[e.Type] = true
	}
	seen := map[string]string{}
	for _, k := range PersonalKinds() {
		if k.Name == "" || k.Label == "" || len(k.Types) == 0 {
			t.Errorf("kind %+v is incomplete", k)
		}
		for _, typ := range k.Types {
			if !known[typ] {
				t.Errorf("kind %s lists %q, which is not in the catalogue", k.Name, typ)
			}
			if other, dup := seen[typ]; dup {
				t.Errorf("%s is in kinds %s and %s", typ, other, k.Name)
			}
			seen[typ] = k.Name
			if PersonalTitle(typ) == "" {
				t.Errorf("%s has no title", typ)
			}
		}
		if !slices.Equal(PersonalTypes(k.Name), k.Types) {
			t.Errorf("PersonalTypes(%s) differs from the kind's types", k.Name)
		}
	}
	if len(PersonalTypes("")) != len(seen) || PersonalTypes("nope") != nil {
		t.Error("PersonalTypes of every kind / an unknown kind is wrong")
	}
	// The owners' events are not a person's.
	for _, typ := range []string{ClientCreated, KeysRotated, AuditExported, MFARequired, MFACodeSent, TenantUpdated} {
		if PersonalTitle(typ) != "" {
			t.Errorf("%s is shown to people", typ)
		}
	}
}
