package upstream

import (
	"errors"
	"slices"

	"github.com/gatehouse-idp/gatehouse/federation"
	"github.com/gatehouse-idp/gatehouse/idp/policy"
	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// rfc8176 are the registered amr values an upstream may contribute.
var rfc8176 = []string{"face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop", "pwd",
	"rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia"}

// AMR is what the upstream's amr adds to Gatehouse's own: the registered
// RFC 8176 values it asserted, except "mfa" unless the connection accepts
// upstream MFA (then policy.MethodUpstreamMFA adds it). Anything else (free
// text, Gatehouse's own "fed") is dropped.
func AMR(amr []string, acceptMFA bool) []string {
	var out []string
	for _, v := range amr {
		if !slices.Contains(rfc8176, v) || slices.Contains(out, v) || (v == policy.AMRMFA && !acceptMFA) {
			continue
		}
		out = append(out, v)
	}
	return out
}

// WithAMR appends the upstream amr values that Gatehouse's own list lacks.
// The acr is computed before, from Gatehouse's own methods only.
func WithAMR(amr, upstream []string) []string {
	for _, v := range upstream {
		if !slices.Contains(amr, v) {
			amr = append(amr, v)
		}
	}
	return amr
}

// Methods are the methods a federated sign-in with c used: federated, the
// extra ones (a proof of the local account), and upstream MFA when the
// upstream asserted it and the connection trusts it.
func Methods(c *store.Connection, upstreamMFA bool, extra ...policy.Method) []policy.Method {
	m := []policy.Method{policy.MethodFederated}
	m = append(m, extra...)
	if c.AcceptUpstreamMFA && upstreamMFA {
		m = append(m, policy.MethodUpstreamMFA)
	}
	return m
}

// RefusalReason is the short audit code of a federation or linking error.
func RefusalReason(err error) string {
	var ue *federation.UpstreamError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ue):
		return "upstream_error"
	case errors.Is(err, federation.ErrUpstreamUnavailable):
		return "upstream_unavailable"
	case errors.Is(err, federation.ErrDomainNotAllowed):
		return "domain_not_allowed"
	case errors.Is(err, federation.ErrTenantNotAllowed):
		return "tenant_not_allowed"
	case errors.Is(err, federation.ErrIssuerMismatch):
		return "issuer_mismatch"
	case errors.Is(err, federation.ErrNonceMissing):
		return "nonce_missing"
	case errors.Is(err, federation.ErrNonceMismatch):
		return "nonce_mismatch"
	case errors.Is(err, federation.ErrStateMismatch):
		return "state_mismatch"
	case errors.Is(err, federation.ErrInvalidCallback):
		return "invalid_callback"
	case errors.Is(err, federation.ErrTokenInvalid):
		return "token_invalid"
	case errors.Is(err, federation.ErrInvalidConfig):
		return "misconfigured"
	case errors.Is(err, federation.ErrEmailMissing):
		return "email_missing"
	case errors.Is(err, federation.ErrEmailNotVerified):
		return "email_not_verified"
	case errors.Is(err, federation.ErrLinkingDisabled):
		return "linking_disabled"
	case errors.Is(err, federation.ErrAlreadyLinked):
		return "already_linked"
	case errors.Is(err, federation.ErrNoProofAvailable):
		return "no_proof_available"
	case errors.Is(err, federation.ErrJITDisabled):
		return "jit_disabled"
	case errors.Is(err, federation.ErrIncompleteIdentity):
		return "incomplete_identity"
	case errors.Is(err, store.ErrAlreadyUsed):
		return "state_replayed"
	case errors.Is(err, store.ErrExpired):
		return "state_expired"
	}
	return "error"
}
