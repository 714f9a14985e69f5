package manage

import (
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

func TestPasswordPolicyFromSettings(t *testing.T) {
	zero := 0
	p := PasswordPolicy(store.TenantSettings{PolicySettings: store.PolicySettings{PasswordStrength: "strong", PasswordMinLength: 16, PasswordMaxAgeDays: 90, PasswordHistory: &zero}})
	if p.Strength != policy.LevelStrong || p.MinLength != 16 || p.MaxAgeDays != 90 || p.HistoryCount != 0 || p.MaxLength != 128 {
		t.Fatalf("policy: %+v", p)
	}
	d := PasswordPolicy(store.TenantSettings{})
	if d != policy.DefaultPasswordPolicy() {
		t.Fatalf("defaults: %+v", d)
	}
}
