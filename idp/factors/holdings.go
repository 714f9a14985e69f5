package factors

import (
	"context"
	"errors"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// What a user holds to prove a second factor with, and the one decision
// that follows from it: whether a sign-in may enrol a first factor.
//
// Counting only the factors of kinds the tenant still offers and this
// server can deliver, and offering enrolment when none qualified, would let
// whoever knew the password register their own factor as soon as a tenant
// stopped offering SMS (or on a replica without an SMS sender). So an
// account that has any verified factor or an unused backup code never
// enrols at sign-in: it verifies with what it has and can use here, and
// when nothing can be used it is refused with a page that sends the person
// to their administrator (`gatehouse user reset-mfa`).

// Holdings are a user's second factors.
type Holdings struct {
	Verified   []*store.Factor // every verified factor, whatever its kind
	Usable     []*store.Factor // those this server can verify (Policy.CanVerify), default first
	BackupLeft int             // unused backup codes
}

// MayEnrol is THE answer to "may this sign-in enrol a first factor": only
// when the account has no verified factor of any kind and no unused backup
// code. Every enrolment entry of the login transaction asks it, through
// the sign-in's enrolment check or when the second-factor step is chosen.
func (h Holdings) MayEnrol() bool { return len(h.Verified) == 0 && h.BackupLeft == 0 }

// CanVerify reports whether the user can pass the challenge step with
// something they hold.
func (h Holdings) CanVerify() bool { return len(h.Usable) > 0 || h.BackupLeft > 0 }

// Holdings loads the user's factors and backup codes.
func (s *Service) Holdings(ctx context.Context, tenantID, userID string, mp Policy) (Holdings, error) {
	var h Holdings
	all, err := s.Store.ListFactors(ctx, tenantID, userID)
	if err != nil {
		return h, err
	}
	for _, f := range all {
		if f.Verified {
			h.Verified = append(h.Verified, f)
		}
	}
	h.Usable = usable(all, mp)
	set, err := s.Store.BackupCodeSet(ctx, tenantID, userID)
	switch {
	case err == nil:
		h.BackupLeft = set.Remaining()
	case !errors.Is(err, store.ErrNotFound):
		return h, err
	}
	return h, nil
}
