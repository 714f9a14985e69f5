package audit

import (
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// TestOutcomes: every type whose name says it failed or was refused records
// a failure, every one that says it succeeded a success, and the tables
// name only catalogue types.
func TestOutcomes(t *testing.T) {
	known := map[string]bool{}
	for _, e := range Catalogue() {
		known[e.Type] = true
		name := e.Type
		switch {
		case strings.Contains(name, "fail") || strings.Contains(name, "refused") || strings.Contains(name, "reused") ||
			strings.Contains(name, "blocked_"):
			if OutcomeOf(name) != store.AuditFailure {
				t.Errorf("%s records %q, want a failure", name, OutcomeOf(name))
			}
		case strings.HasSuffix(name, ".succeeded") || strings.HasSuffix(name, "passed"):
			if OutcomeOf(name) != store.AuditSuccess {
				t.Errorf("%s records %q, want a success", name, OutcomeOf(name))
			}
		}
	}
	for _, m := range []map[string]bool{failures, successes} {
		for typ := range m {
			if !known[typ] {
				t.Errorf("%q is not in the catalogue", typ)
			}
		}
	}
	if OutcomeOf(TenantUpdated) != "" || OutcomeOf(MFACodeSent) != "" {
		t.Error("a plain fact has an outcome")
	}
}
