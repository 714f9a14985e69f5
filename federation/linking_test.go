package federation

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestDecideLink(t *testing.T) {
	verified := Identity{ConnectionID: "google-1", Issuer: "https://accounts.google.com", Subject: "111",
		Email: "Ann@Example.com ", EmailVerified: true, Name: "Ann"}
	unverified := verified
	unverified.EmailVerified = false
	noEmail := verified
	noEmail.Email = ""
	noSubject := verified
	noSubject.Subject = ""

	jit := LinkPolicy{JITProvisioning: true, LinkMode: LinkModeVerifiedEmailWithProof, ProviderName: "Google"}
	noJIT := LinkPolicy{LinkMode: LinkModeVerifiedEmailWithProof}
	none := LinkPolicy{JITProvisioning: true, LinkMode: LinkModeNone}
	local := &LocalAccount{UserID: "u-local", HasPassword: true}
	local2FA := &LocalAccount{UserID: "u-local", HasSecondFactor: true}
	localBoth := &LocalAccount{UserID: "u-local", HasPassword: true, HasSecondFactor: true}
	localBare := &LocalAccount{UserID: "u-local"}
	localLinked := &LocalAccount{UserID: "u-local", HasPassword: true, LinkedOnConnection: true}

	cases := []struct {
		name   string
		policy LinkPolicy
		id     Identity
		facts  LinkFacts
		action Action
		reason error
		userID string
		proofs []ProofMethod
	}{
		{"existing link signs in", noJIT, verified, LinkFacts{LinkedUserID: "u-linked"}, ActionSignInLinked, nil, "u-linked", nil},
		{"existing link wins over an email match", jit, verified, LinkFacts{LinkedUserID: "u-linked", EmailMatch: local}, ActionSignInLinked, nil, "u-linked", nil},
		{"existing link works with an unverified email", LinkPolicy{}, unverified, LinkFacts{LinkedUserID: "u-linked"}, ActionSignInLinked, nil, "u-linked", nil},
		{"unverified email + existing local user refuses", jit, unverified, LinkFacts{EmailMatch: local}, ActionRefuse, ErrEmailNotVerified, "", nil},
		{"unverified email + no user refuses (no JIT on unverified)", jit, unverified, LinkFacts{}, ActionRefuse, ErrEmailNotVerified, "", nil},
		{"missing email refuses", jit, noEmail, LinkFacts{}, ActionRefuse, ErrEmailMissing, "", nil},
		{"verified + existing requires proof (password)", jit, verified, LinkFacts{EmailMatch: local}, ActionRequireProof, ErrProofRequired, "u-local", []ProofMethod{ProofPassword}},
		{"verified + existing requires proof (2FA)", jit, verified, LinkFacts{EmailMatch: local2FA}, ActionRequireProof, ErrProofRequired, "u-local", []ProofMethod{ProofSecondFactor}},
		{"verified + existing offers both proofs", noJIT, verified, LinkFacts{EmailMatch: localBoth}, ActionRequireProof, ErrProofRequired, "u-local", []ProofMethod{ProofPassword, ProofSecondFactor}},
		{"verified + existing without any proof refuses", jit, verified, LinkFacts{EmailMatch: localBare}, ActionRefuse, ErrNoProofAvailable, "", nil},
		{"verified + existing already linked on connection refuses", jit, verified, LinkFacts{EmailMatch: localLinked}, ActionRefuse, ErrAlreadyLinked, "", nil},
		{"link mode none + existing refuses", none, verified, LinkFacts{EmailMatch: local}, ActionRefuse, ErrLinkingDisabled, "", nil},
		{"empty link mode means none", LinkPolicy{JITProvisioning: true}, verified, LinkFacts{EmailMatch: local}, ActionRefuse, ErrLinkingDisabled, "", nil},
		{"JIT off + no user refuses", noJIT, verified, LinkFacts{}, ActionRefuse, ErrJITDisabled, "", nil},
		{"JIT on + no user creates", jit, verified, LinkFacts{}, ActionCreateUser, nil, "", nil},
		{"JIT with link mode none + no user creates", none, verified, LinkFacts{}, ActionCreateUser, nil, "", nil},
		{"incomplete identity refuses", jit, noSubject, LinkFacts{LinkedUserID: "u"}, ActionRefuse, ErrIncompleteIdentity, "", nil},
		{"auto linking policy refuses", LinkPolicy{LinkMode: "auto_verified_email"}, verified, LinkFacts{EmailMatch: local}, ActionRefuse, ErrInvalidConfig, "", nil},
		{"owner JIT policy refuses", LinkPolicy{JITProvisioning: true, DefaultRole: "owner"}, verified, LinkFacts{}, ActionRefuse, ErrInvalidConfig, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := DecideLink(c.policy, c.id, c.facts)
			if d.Action != c.action {
				t.Fatalf("action = %v, want %v (reason %v)", d.Action, c.action, d.Reason)
			}
			if c.reason == nil && d.Reason != nil || c.reason != nil && !errors.Is(d.Reason, c.reason) {
				t.Fatalf("reason = %v, want %v", d.Reason, c.reason)
			}
			if d.UserID != c.userID {
				t.Fatalf("user = %q, want %q", d.UserID, c.userID)
			}
			if !slices.Equal(d.Proofs, c.proofs) {
				t.Fatalf("proofs = %v, want %v", d.Proofs, c.proofs)
			}
			if d.Action == ActionRefuse && d.Explanation == "" {
				t.Fatal("a refusal needs an explanation for the page")
			}
		})
	}
}

func TestDecideLinkCreateUserDetails(t *testing.T) {
	id := Identity{ConnectionID: "c", Issuer: "i", Subject: "s", Email: " bo@example.com ", EmailVerified: true, Name: "Bo"}
	d := DecideLink(LinkPolicy{JITProvisioning: true}, id, LinkFacts{})
	if d.NewUser != (NewUser{Email: "bo@example.com", Name: "Bo", Role: DefaultJITRole}) {
		t.Fatalf("new user = %+v", d.NewUser)
	}
	d = DecideLink(LinkPolicy{JITProvisioning: true, DefaultRole: "admin"}, id, LinkFacts{})
	if d.NewUser.Role != "admin" {
		t.Fatalf("role = %q", d.NewUser.Role)
	}
}

func TestUnverifiedRefusalDoesNotRevealWhetherAnAccountExists(t *testing.T) {
	id := Identity{ConnectionID: "c", Issuer: "i", Subject: "s", Email: "x@example.com"}
	p := LinkPolicy{JITProvisioning: false, LinkMode: LinkModeVerifiedEmailWithProof}
	with := DecideLink(p, id, LinkFacts{EmailMatch: &LocalAccount{UserID: "u", HasPassword: true}})
	without := DecideLink(p, id, LinkFacts{})
	if with.Explanation != without.Explanation || !errors.Is(with.Reason, ErrEmailNotVerified) || !errors.Is(without.Reason, ErrEmailNotVerified) {
		t.Fatalf("answers differ:\n%v %q\n%v %q", with.Reason, with.Explanation, without.Reason, without.Explanation)
	}
}

func TestLinkPolicyValidate(t *testing.T) {
	cases := []struct {
		p    LinkPolicy
		want []string
	}{
		{LinkPolicy{}, nil},
		{LinkPolicy{LinkMode: LinkModeVerifiedEmailWithProof, DefaultRole: "agent"}, nil},
		{LinkPolicy{LinkMode: "auto_verified_email"}, []string{"'auto_verified_email' is not offered", "take over"}},
		{LinkPolicy{LinkMode: "sometimes", DefaultRole: "owner"}, []string{"configured as 'sometimes'", "default_role"}},
	}
	for _, c := range cases {
		err := c.p.Validate()
		if c.want == nil {
			if err != nil {
				t.Errorf("%+v: %v", c.p, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: err = %v", c.p, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %q lacks %q", c.p, err, w)
			}
		}
	}
}

func TestActionZeroValueIsRefuse(t *testing.T) {
	var d Decision
	if d.Action != ActionRefuse || d.Action.String() != "refuse" || ActionRequireProof.String() != "require_proof" {
		t.Fatal("zero Decision must refuse")
	}
}
