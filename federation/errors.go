package federation

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-idp/gatehouse/federation/internal/cfgcheck"
)

// Errors returned by connectors. They are wrapped with %w and carry detail
// for logs; none of them ever contains a code, token, verifier or secret.
var (
	// ErrInvalidConfig: a connector or link policy is misconfigured.
	ErrInvalidConfig = cfgcheck.ErrInvalidConfig

	// ErrUpstreamUnavailable: the upstream could not be used right now
	// (network error, timeout, 5xx, malformed discovery/token/JWKS response).
	// Retrying later may help; nothing about the user is wrong.
	ErrUpstreamUnavailable = errors.New("federation: upstream unavailable")

	// ErrTokenInvalid: the ID token failed verification (signature, audience,
	// expiry, iat, azp, subject). Wraps go-oidc's error, so
	// errors.As(err, new(*oidc.TokenExpiredError)) works for the expiry case.
	ErrTokenInvalid = errors.New("federation: id token invalid")

	// ErrIssuerMismatch: the token's or discovery document's issuer is not the
	// one this connection expects (for Entra: iss is not the issuer template
	// with the token's own tid filled in).
	ErrIssuerMismatch = errors.New("federation: issuer mismatch")

	// ErrNonceMismatch: the ID token's nonce is not the one this login sent.
	ErrNonceMismatch = errors.New("federation: id token nonce does not match")
	// ErrNonceMissing: the ID token carries no nonce at all. It wraps
	// ErrNonceMismatch, so callers that treat both alike test only that.
	ErrNonceMissing = fmt.Errorf("%w: id token has no nonce", ErrNonceMismatch)

	// ErrDomainNotAllowed: Google's hd claim in the ID token is absent or not
	// in the connection's AllowedHostedDomains.
	ErrDomainNotAllowed = errors.New("federation: hosted domain not allowed")

	// ErrTenantNotAllowed: the Entra tid is not the connection's tenant or
	// not in its AllowedTenantIDs.
	ErrTenantNotAllowed = errors.New("federation: tenant not allowed")

	// ErrStateMismatch: the callback's state is not this login's state.
	ErrStateMismatch = errors.New("federation: state does not match")

	// ErrInvalidCallback: the callback carries neither a code nor an error.
	ErrInvalidCallback = errors.New("federation: invalid callback")
)

// UpstreamError is an OAuth error reported by the upstream: error= on the
// callback (access_denied when the user cancels, consent_required, ...) or
// an error response from its token endpoint (invalid_grant, invalid_client).
//
// Description comes from the upstream and, on the callback, from a URL
// anyone can craft: log it, never show it on a page (see PublicMessage).
type UpstreamError struct {
	Code        string
	Description string
}

func (e *UpstreamError) Error() string {
	if e.Description == "" {
		return "federation: upstream returned error " + e.Code
	}
	return "federation: upstream returned error " + e.Code + ": " + e.Description
}

// newUpstreamError cleans upstream-supplied text before it reaches logs.
func newUpstreamError(code, desc string) *UpstreamError {
	return &UpstreamError{Code: cleanText(code, 64), Description: cleanText(desc, 200)}
}

// NewUpstreamError builds an UpstreamError from untrusted upstream text,
// dropping control characters and truncating it. Connectors use it for
// token-endpoint errors.
func NewUpstreamError(code, desc string) *UpstreamError { return newUpstreamError(code, desc) }

func cleanText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// PublicMessage returns the generic sentence the login page shows for an
// error from this package (detail stays in logs). Unknown errors get a
// generic sentence too.
func PublicMessage(err error) string {
	var ue *UpstreamError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ue):
		if ue.Code == "access_denied" {
			return "Sign-in was cancelled or refused by your identity provider. You can try again."
		}
		return "Your identity provider could not complete the sign-in. Please try again."
	case errors.Is(err, ErrUpstreamUnavailable):
		return "Your identity provider is not reachable right now. Please try again in a few minutes."
	case errors.Is(err, ErrDomainNotAllowed):
		return "This account's organization is not allowed to sign in here. Use your work account."
	case errors.Is(err, ErrTenantNotAllowed):
		return "This account's organization is not allowed to sign in here. Use your work account."
	case errors.Is(err, ErrStateMismatch), errors.Is(err, ErrNonceMismatch), errors.Is(err, ErrInvalidCallback):
		return "This sign-in link has expired or was already used. Please start again."
	case errors.Is(err, ErrInvalidConfig):
		return "Sign-in with this provider is misconfigured. Please contact your administrator."
	default:
		return "We could not verify your sign-in with your identity provider. Please try again."
	}
}
