package manage

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp/audit"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Tenant IP allowlists, the management half: reading and changing the
// lists. The request-time gate is idp/web's IPGate (sign-in pages) and the
// OP's API gate (machine endpoints).

// Allowlist scopes (the lists themselves are applied by web.IPGate).
const (
	ScopeSignin = web.ScopeSignin
	ScopeAPI    = web.ScopeAPI
)

// ValidIPScope reports whether scope names one of the two lists.
func ValidIPScope(scope string) bool { return scope == ScopeSignin || scope == ScopeAPI }

func toPolicyEntries(in []store.IPAllowEntry) []policy.Entry {
	out := make([]policy.Entry, len(in))
	for i, e := range in {
		out[i] = policy.Entry{CIDR: e.CIDR, Note: e.Note}
	}
	return out
}

func fromPolicyEntries(in []policy.Entry) []store.IPAllowEntry {
	out := make([]store.IPAllowEntry, len(in))
	for i, e := range in {
		out[i] = store.IPAllowEntry{CIDR: e.CIDR, Note: e.Note}
	}
	return out
}

// LockoutError refuses a sign-in allowlist that would shut out the admin
// saving it.
type LockoutError struct{ IP string }

func (e *LockoutError) Error() string {
	return fmt.Sprintf("the sign-in allowlist would not include your current address %s: add your current address first (or use --force)", e.IP)
}

// ErrLockout matches a *LockoutError with errors.Is.
var ErrLockout = errors.New("allowlist would lock out the current address")

func (e *LockoutError) Is(target error) bool { return target == ErrLockout }

// CheckSigninLockout refuses a sign-in list that would not let currentIP in.
// currentIP is the address of the admin making the change (the admin
// console passes the request's client address; the CLI passes --my-ip, and
// nothing when run on the server, which the list does not govern). An
// empty currentIP or force skips the check.
func CheckSigninLockout(entries []policy.Entry, currentIP string, force bool) error {
	if force || currentIP == "" {
		return nil
	}
	list, err := policy.ParseAllowlist(entries)
	if err != nil {
		return err
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(currentIP))
	if err != nil {
		return &InputError{Problems: []string{fmt.Sprintf("current address %q is not an IP address", currentIP)}}
	}
	if policy.WouldLockOut(list, addr) {
		return &LockoutError{IP: addr.String()}
	}
	return nil
}

// AllowlistChange is one edit of a tenant IP allowlist.
type AllowlistChange struct {
	Scope  string // signin | api
	Add    *policy.Entry
	Remove string // CIDR or address to remove (compared in canonical form)
	// CurrentIP and Force feed CheckSigninLockout for the signin scope.
	CurrentIP string
	Force     bool
}

// IPAllowlist returns a tenant's list for scope in canonical form.
func (s *Service) IPAllowlist(t *store.Tenant, scope string) ([]policy.Entry, error) {
	if !ValidIPScope(scope) {
		return nil, &InputError{Problems: []string{fmt.Sprintf("scope %q must be signin or api", scope)}}
	}
	return toPolicyEntries(web.Allowlist(t.Settings, scope)), nil
}

// ChangeIPAllowlist adds or removes one entry, validates the whole list,
// refuses a sign-in list that would lock out the current address, saves it
// and records a security event. It returns the new list.
func (s *Service) ChangeIPAllowlist(ctx context.Context, t *store.Tenant, ch AllowlistChange) ([]policy.Entry, error) {
	entries, err := s.IPAllowlist(t, ch.Scope)
	if err != nil {
		return nil, err
	}
	action, value := "", ""
	switch {
	case ch.Add != nil && ch.Remove == "":
		action, value = "add", ch.Add.CIDR
		entries = append(entries, *ch.Add)
	case ch.Add == nil && ch.Remove != "":
		action, value = "remove", ch.Remove
		one, err := policy.ParseAllowlist([]policy.Entry{{CIDR: ch.Remove, Note: "-"}})
		if err != nil {
			return nil, &InputError{Problems: []string{fmt.Sprintf("%q is not an IP address or CIDR range", ch.Remove)}}
		}
		target := one.Ranges()[0].Prefix.String()
		i := slices.IndexFunc(entries, func(e policy.Entry) bool { return e.CIDR == target })
		if i < 0 {
			return nil, &InputError{Problems: []string{fmt.Sprintf("%s is not on the %s allowlist", target, ch.Scope)}}
		}
		entries = slices.Delete(entries, i, i+1)
	default:
		return nil, &InputError{Problems: []string{"give exactly one entry to add or remove"}}
	}
	list, err := policy.ParseAllowlist(entries)
	if err != nil {
		return nil, &InputError{Problems: strings.Split(err.Error(), "\n")}
	}
	canonical := list.Entries()
	if ch.Scope == ScopeSignin {
		if err := CheckSigninLockout(canonical, ch.CurrentIP, ch.Force); err != nil {
			return nil, err
		}
	}
	if ch.Scope == ScopeAPI {
		t.Settings.IPAllowlistAPI = fromPolicyEntries(canonical)
	} else {
		t.Settings.IPAllowlistSignin = fromPolicyEntries(canonical)
	}
	if err := s.UpdateTenant(ctx, t); err != nil {
		return nil, err
	}
	detail := map[string]string{"scope": ch.Scope, "action": action, "cidr": value, "entries": fmt.Sprint(len(canonical))}
	if ch.Force {
		detail["forced"] = "true"
	}
	s.Audit.Record(ctx, &store.AuditEvent{TenantID: t.ID, Type: audit.IPAllowlistChanged, Detail: detail})
	return canonical, nil
}
