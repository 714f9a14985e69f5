package federation

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-idp/gatehouse/federation/internal/cfgcheck"
)

// LinkMode says whether a first upstream sign-in may attach to an existing
// local account that has the same email.
//
// There is deliberately no "auto_verified_email" mode (link silently when
// the upstream says the email is verified). That is the classic account
// takeover: whoever controls an upstream account carrying the address — a
// careless or hostile upstream admin, a tenant that lets users edit their
// mail attribute (Entra "nOAuth"), a provider whose "verified" means less
// than you think (ZITADEL GHSA-992q-9gwp-7r79, Keycloak CVE-2026-9087) —
// would get the local account, its roles and its history. Gatehouse links
// only after the person proves control of the local account.
type LinkMode string

const (
	// LinkModeNone never links on email: a sign-in whose email matches a
	// local account is refused; the user links from account settings while
	// signed in.
	LinkModeNone LinkMode = "none"
	// LinkModeVerifiedEmailWithProof links when the upstream email is
	// verified AND the person then proves control of the local account with
	// its password or an existing second factor.
	LinkModeVerifiedEmailWithProof LinkMode = "verified_email_with_proof"
)

// LinkPolicy is a connection's linking and provisioning settings.
type LinkPolicy struct {
	// JITProvisioning creates a local user on the first sign-in of an
	// upstream account that matches no link and no local email.
	JITProvisioning bool
	// DefaultRole is the role of a JIT-created user; "" means "agent".
	// "owner" is refused. The idp checks the role exists.
	DefaultRole string
	// LinkMode is "none" (also the meaning of "") or
	// "verified_email_with_proof".
	LinkMode LinkMode
	// ProviderName is used in explanations ("Google"); "" gives "your
	// identity provider".
	ProviderName string
}

// DefaultJITRole is the role JIT-created users get when none is set.
const DefaultJITRole = "agent"

// Validate reports every problem at once, wrapping ErrInvalidConfig.
func (p LinkPolicy) Validate() error {
	pr := cfgcheck.New("link policy")
	switch p.LinkMode {
	case "", LinkModeNone, LinkModeVerifiedEmailWithProof:
	case "auto_verified_email":
		pr.Addf("link_mode", "'auto_verified_email' is not offered: linking on an upstream email alone lets "+
			"whoever controls that upstream account take over the local one; use 'verified_email_with_proof'")
	default:
		pr.Addf("link_mode", "must be 'none' or 'verified_email_with_proof' but it's configured as '%s'", p.LinkMode)
	}
	if p.DefaultRole == "owner" {
		pr.Addf("default_role", "must not be 'owner': accounts created on first sign-in must not own the tenant")
	}
	return pr.Err()
}

// LinkFacts are what the idp looked up before asking for a decision.
type LinkFacts struct {
	// LinkedUserID is the user an existing link for Identity.Key() points
	// to, "" when there is none.
	LinkedUserID string
	// EmailMatch is the local user whose email equals the identity's email
	// (compare EmailKey values), nil when there is none. The idp should look
	// it up only when the identity's email is verified; DecideLink ignores
	// it otherwise.
	EmailMatch *LocalAccount
}

// LocalAccount describes the local user an upstream email matched.
type LocalAccount struct {
	UserID string
	// HasPassword and HasSecondFactor say which proofs the user can give.
	HasPassword     bool
	HasSecondFactor bool
	// LinkedOnConnection is true when the user already has a link on this
	// connection (to another upstream subject).
	LinkedOnConnection bool
}

// Action is what the idp does next with an upstream sign-in. The zero value
// is ActionRefuse.
type Action int

const (
	ActionRefuse       Action = iota // stop; show Decision.Explanation
	ActionSignInLinked               // sign in Decision.UserID
	ActionCreateUser                 // JIT: create Decision.NewUser, link it, sign in
	ActionRequireProof               // user proves control of Decision.UserID, then link
)

func (a Action) String() string {
	switch a {
	case ActionSignInLinked:
		return "sign_in_linked"
	case ActionCreateUser:
		return "create_user"
	case ActionRequireProof:
		return "require_proof"
	default:
		return "refuse"
	}
}

// ProofMethod is a way to prove control of a local account before linking.
type ProofMethod string

const (
	ProofPassword     ProofMethod = "password"
	ProofSecondFactor ProofMethod = "second_factor"
)

// NewUser is the local user a JIT decision asks the idp to create.
type NewUser struct {
	Email string
	Name  string
	Role  string
}

// Decision is DecideLink's answer.
type Decision struct {
	Action Action
	// UserID is set for ActionSignInLinked and ActionRequireProof.
	UserID string
	// Proofs lists the accepted proofs for ActionRequireProof.
	Proofs []ProofMethod
	// NewUser is set for ActionCreateUser.
	NewUser NewUser
	// Reason is nil for SignInLinked and CreateUser, ErrProofRequired for
	// RequireProof and one of the Err* below for Refuse (errors.Is).
	Reason error
	// Explanation is a sentence for the login page.
	Explanation string
}

// Linking reasons.
var (
	ErrIncompleteIdentity = errors.New("federation: identity has no connection, issuer or subject")
	ErrEmailMissing       = errors.New("federation: upstream returned no email")
	ErrEmailNotVerified   = errors.New("federation: upstream email not verified")
	ErrLinkingDisabled    = errors.New("federation: linking to existing accounts is disabled")
	ErrAlreadyLinked      = errors.New("federation: local account already linked on this connection")
	ErrNoProofAvailable   = errors.New("federation: local account has no password or second factor to prove control")
	ErrJITDisabled        = errors.New("federation: just-in-time provisioning is disabled")
	ErrProofRequired      = errors.New("federation: proof of the local account required before linking")
)

// EmailKey is the form emails are compared in for linking: trimmed and
// lower-cased. The idp looks local users up by the same key.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// DecideLink decides what to do with a verified upstream identity. It is
// pure: same inputs, same decision; it never links silently.
//
//  1. A link for (connection, issuer, subject) exists: sign in that user.
//  2. No email, or an email the upstream does not vouch for: refuse — with
//     the same reason whether or not a local account has that address, so
//     the answer reveals nothing, and no second account is created.
//  3. A local account has the (verified) email: with LinkModeNone refuse;
//     with LinkModeVerifiedEmailWithProof ask for its password or second
//     factor, or refuse if it has neither or is already linked on this
//     connection.
//  4. Nobody has the email: create the user if JIT provisioning is on,
//     refuse otherwise.
func DecideLink(p LinkPolicy, id Identity, f LinkFacts) Decision {
	name := p.ProviderName
	if name == "" {
		name = "your identity provider"
	}
	if err := p.Validate(); err != nil {
		return refuse(err, fmt.Sprintf("Sign-in with %s is misconfigured. Please contact your administrator.", name))
	}
	if id.ConnectionID == "" || id.Issuer == "" || id.Subject == "" {
		return refuse(ErrIncompleteIdentity, fmt.Sprintf("%s did not identify your account. Please try again.", name))
	}
	if f.LinkedUserID != "" {
		return Decision{Action: ActionSignInLinked, UserID: f.LinkedUserID}
	}
	if EmailKey(id.Email) == "" {
		return refuse(ErrEmailMissing, fmt.Sprintf(
			"%s did not share an email address for your account, so we cannot sign you in with it. "+
				"Please ask your administrator.", name))
	}
	if !id.EmailVerified {
		return refuse(ErrEmailNotVerified, fmt.Sprintf(
			"%s does not confirm that you own the address %s, so we cannot sign you in with it. "+
				"Verify the address with %s or ask your administrator.", name, id.Email, name))
	}
	if m := f.EmailMatch; m != nil && m.UserID != "" {
		return decideExisting(p, name, id, m)
	}
	if !p.JITProvisioning {
		return refuse(ErrJITDisabled, fmt.Sprintf(
			"There is no account for %s here, and accounts are not created automatically. "+
				"Ask your administrator to invite you.", id.Email))
	}
	role := p.DefaultRole
	if role == "" {
		role = DefaultJITRole
	}
	return Decision{
		Action:  ActionCreateUser,
		NewUser: NewUser{Email: strings.TrimSpace(id.Email), Name: id.Name, Role: role},
	}
}

func decideExisting(p LinkPolicy, name string, id Identity, m *LocalAccount) Decision {
	if p.LinkMode != LinkModeVerifiedEmailWithProof {
		return refuse(ErrLinkingDisabled, fmt.Sprintf(
			"An account for %s already exists. Sign in with your password, then connect %s "+
				"from your account settings.", id.Email, name))
	}
	if m.LinkedOnConnection {
		return refuse(ErrAlreadyLinked, fmt.Sprintf(
			"The account for %s is already connected to a different %s account. "+
				"Sign in with that one, or ask your administrator.", id.Email, name))
	}
	var proofs []ProofMethod
	if m.HasPassword {
		proofs = append(proofs, ProofPassword)
	}
	if m.HasSecondFactor {
		proofs = append(proofs, ProofSecondFactor)
	}
	if len(proofs) == 0 {
		return refuse(ErrNoProofAvailable, fmt.Sprintf(
			"An account for %s already exists, but it has no password or second factor to confirm it is yours. "+
				"Ask your administrator to connect it.", id.Email))
	}
	return Decision{
		Action: ActionRequireProof,
		UserID: m.UserID,
		Proofs: proofs,
		Reason: ErrProofRequired,
		Explanation: fmt.Sprintf(
			"An account for %s already exists. Confirm it is yours once to connect it to %s.", id.Email, name),
	}
}

func refuse(reason error, explanation string) Decision {
	return Decision{Action: ActionRefuse, Reason: reason, Explanation: explanation}
}
