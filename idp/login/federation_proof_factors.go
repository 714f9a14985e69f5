package login

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/gatehouse-idp/gatehouse/idp/factors"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/upstream"
	"github.com/gatehouse-idp/gatehouse/idp/web"
)

// Which proofs of a local account the linking step accepts, and checking
// one. A second factor is checked by the same code as the login's
// second-factor step (factors.CodeCredential: TOTP with the atomic
// last-step advance, sent codes consumed once, backup codes redeemed once),
// and a wrong code counts against the account like one typed at /login/2fa
// (factors.Service.FactorGuard), so starting upstream sign-ins over and
// over does not buy more guesses than the account lock allows.
//
// Accepted: the password (if the account has one); a verified second
// factor the tenant allows that takes a typed code (authenticator app, SMS,
// email); a passkey or security key (federation_proof_passkey.go); a backup
// code when the account has any allowed second factor.
//
// The proof is a method of the sign-in it ends (fedSignIn gets it), so the
// tenant's second-factor policy sees "fed" + "otp" after an authenticator
// or backup code, which is two factors, and does not ask again; after a
// password or an email code (not a second factor, see policy.ACR) it asks
// as usual.

// Why a proof was refused, besides the code refusals of package factors.
var (
	errWrongPassword = errors.New("federation: proof: wrong password")
	errProofLocked   = errors.New("federation: proof: account's second factor locked")
)

const errUnknownProof web.Message = "Choose a way to confirm it is your account."

// proofOpts are the proofs account u can give.
type proofOpts struct {
	password   bool
	factors    []*store.Factor // verified, allowed, checked by a typed code
	backupLeft int             // backup codes left, 0 unless the account has an allowed factor
	passkey    bool            // a verified, allowed passkey (federation_proof_passkey.go)
}

// secondFactor reports whether u can prove control with a second factor.
func (o proofOpts) secondFactor() bool { return len(o.factors) > 0 || o.backupLeft > 0 || o.passkey }

// proofOptions lists the proofs account u can give under the tenant's
// current second-factor policy.
func (h *Handler) proofOptions(ctx context.Context, t *store.Tenant, u *store.User) (proofOpts, error) {
	o := proofOpts{password: u.PasswordHash != "" && !u.Disabled}
	if u.Disabled {
		return o, nil
	}
	all, err := h.Factors.UsableFactors(ctx, t.ID, u.ID, h.Factors.TenantPolicy(ctx, t))
	if err != nil {
		return o, err
	}
	for _, f := range all {
		switch f.Kind {
		case store.FactorTOTP, store.FactorSMS, store.FactorEmail:
			o.factors = append(o.factors, f)
		case store.FactorWebAuthn:
			o.passkey = true // allowed only when the relying party is configured
		}
	}
	if len(all) > 0 {
		switch set, err := h.Store.BackupCodeSet(ctx, t.ID, u.ID); {
		case err == nil:
			o.backupLeft = set.Remaining()
		case !errors.Is(err, store.ErrNotFound):
			return o, err
		}
	}
	return o, nil
}

// proofFactor returns factor id of u if it is one of the proofs offered.
func (h *Handler) proofFactor(ctx context.Context, t *store.Tenant, u *store.User, id string) (*store.Factor, error) {
	if id == "" || len(id) > 64 {
		return nil, store.ErrNotFound
	}
	o, err := h.proofOptions(ctx, t, u)
	if err != nil {
		return nil, err
	}
	for _, f := range o.factors {
		if f.ID == id {
			return f, nil
		}
	}
	return nil, store.ErrNotFound
}

// proofBinding binds sent codes to this auth request and connection, so a
// code sent for the proof works neither at /login/2fa nor for another
// connection's proof.
func proofBinding(f *upstream.Flow) string {
	return "fedlink:" + f.AuthRequestID + ":" + f.ConnectionID
}

// proofResult is the outcome of one proof attempt.
type proofResult struct {
	kind   string        // "password", "backup-code", or the factor kind
	method policy.Method // the sign-in method the proof adds
	err    error
}

// why is the short audit code of a refused proof.
func (r proofResult) why() string {
	switch {
	case errors.Is(r.err, errWrongPassword):
		return "wrong_password"
	case errors.Is(r.err, errUnknownProof):
		return "unknown_proof"
	case errors.Is(r.err, errPasskeyNoCeremony):
		return "no_ceremony"
	case errors.As(r.err, new(*factors.ThrottledError)):
		return "throttled"
	}
	return factors.FailureReason(r.err)
}

// message is the sentence shown after a refused proof.
func (r proofResult) message() string {
	if msg, ok := web.PublicText(r.err); ok {
		return msg
	}
	switch {
	case errors.Is(r.err, errWrongPassword):
		return "Incorrect password."
	case r.kind == store.FactorWebAuthn:
		return passkeyMessage(r.err)
	}
	return "That code could not be checked. Try again."
}

// checkProof checks the posted proof: form field "factor" is empty (or
// "password") for the password, "backup" for a backup code, or the id of
// one of the offered factors with its "code".
func (h *Handler) checkProof(r *http.Request, t *store.Tenant, u *store.User, f *upstream.Flow, form url.Values) proofResult {
	ctx := r.Context()
	choice := form.Get("factor")
	if choice == "" || choice == "password" {
		// The sign-in throttle's counters and limits (SignInGuard): guessing
		// here costs the same as guessing at the login form.
		res := proofResult{kind: "password", method: policy.MethodPassword}
		pw := form.Get("password")
		if pw == "" {
			res.err = errWrongPassword
			return res
		}
		g := h.Factors.SignInGuard(ctx, t, u, u.Email, "")
		if err := h.Factors.VerifyThrottled(ctx, g, factors.PasswordCredential{Hash: u.PasswordHash, Password: pw}); err != nil {
			res.err = proofPasswordError(err)
		}
		return res
	}
	o, err := h.proofOptions(ctx, t, u)
	if err != nil {
		return proofResult{kind: "unknown", err: err}
	}
	var fac *store.Factor // nil: backup code
	res := proofResult{kind: string(policy.MethodBackupCode), method: policy.MethodBackupCode}
	if choice == "backup" {
		if o.backupLeft == 0 {
			return proofResult{kind: "unknown", err: errUnknownProof}
		}
	} else {
		for _, cand := range o.factors {
			if cand.ID == choice {
				fac = cand
			}
		}
		if fac == nil {
			return proofResult{kind: "unknown", err: errUnknownProof}
		}
		res.kind, res.method = fac.Kind, policy.Method(fac.Kind)
	}
	code := form.Get("code")
	if len(code) > 64 {
		code = ""
	}
	c := &factors.CodeCredential{Tenant: t, User: u, Backup: fac == nil, Purpose: store.OTPPurposeLogin, Binding: proofBinding(f), Code: code}
	if fac != nil {
		c.Factors = []*store.Factor{fac}
	}
	res.err = proofFactorError(h.Factors.VerifyThrottled(ctx, h.Factors.FactorGuard(t, u.ID, ""), c))
	return res
}

// proofPasswordError maps a refused proof password: a throttle refusal
// stays one (the page says how long to wait), a wrong password becomes
// errWrongPassword, a store failure stays internal.
func proofPasswordError(err error) error {
	if errors.As(err, new(*factors.ThrottledError)) || errors.Is(err, factors.ErrThrottleUnavailable) {
		return err
	}
	return errWrongPassword
}

// proofFactorError maps the account's second-factor lock to errProofLocked.
func proofFactorError(err error) error {
	if errors.As(err, new(*factors.ThrottledError)) {
		return errProofLocked
	}
	return err
}
