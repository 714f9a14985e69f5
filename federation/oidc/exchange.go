package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/federation"
)

// maxIATSkew is how far in the future an ID token's iat may be (upstream
// clocks drift; go-oidc allows the same for nbf).
const maxIATSkew = 5 * time.Minute

// Exchange redeems code at the token endpoint with the PKCE verifier and
// the client secret, verifies the ID token and returns the identity.
//
// Errors: *federation.UpstreamError (token endpoint said invalid_grant and
// the like), ErrUpstreamUnavailable (network, timeout, 5xx, malformed
// response, JWKS unreachable), ErrTokenInvalid (signature, aud, azp, exp,
// iat, sub), ErrIssuerMismatch, ErrNonceMissing / ErrNonceMismatch, and
// whatever the kind's Finish returns. No error text contains the code,
// tokens or secrets.
func (c *Connector) Exchange(ctx context.Context, code, pkceVerifier, expectedNonce string) (federation.Identity, error) {
	if code == "" {
		return federation.Identity{}, fmt.Errorf("%w: empty code", federation.ErrInvalidCallback)
	}
	if err := federation.CheckPKCEVerifier(pkceVerifier); err != nil {
		return federation.Identity{}, err
	}
	if expectedNonce == "" {
		return federation.Identity{}, errors.New("federation: Exchange needs the nonce that was sent with LoginURL")
	}
	hctx := gooidc.ClientContext(ctx, c.env.HTTPClient)

	tok, err := c.oauth.Exchange(hctx, code, oauth2.VerifierOption(pkceVerifier))
	if err != nil {
		return federation.Identity{}, tokenError(err)
	}
	rawIDToken, _ := tok.Extra("id_token").(string)
	if rawIDToken == "" {
		return federation.Identity{}, fmt.Errorf("%w: token response has no id_token", federation.ErrUpstreamUnavailable)
	}

	claims, err := c.verify(hctx, rawIDToken)
	if err != nil {
		return federation.Identity{}, err
	}
	if claims.Nonce == "" {
		return federation.Identity{}, federation.ErrNonceMissing
	}
	if subtle.ConstantTimeCompare([]byte(claims.Nonce), []byte(expectedNonce)) != 1 {
		return federation.Identity{}, federation.ErrNonceMismatch
	}

	id := federation.Identity{
		ConnectionID:      c.cfg.ConnectionID,
		Issuer:            c.cfg.Issuer,
		Subject:           claims.Subject,
		Email:             claims.Email,
		EmailVerified:     claims.Email != "" && claims.EmailVerified != nil && *claims.EmailVerified,
		Name:              claims.Name,
		PreferredUsername: claims.PreferredUsername,
		AMR:               claims.AMR,
		ACR:               claims.ACR,
		UpstreamMFA:       claims.UpstreamMFA(),
		AuthTime:          claims.AuthTime,
		RawClaims:         claims.Raw,
	}
	if c.opts.SkipIssuerCheck {
		id.Issuer = "" // Finish must set the issuer it validated
	}
	if c.opts.UserInfoFallback && c.hasUI && (claims.Email == "" || claims.EmailVerified == nil) {
		if err := c.userInfo(hctx, tok, claims, &id); err != nil {
			return federation.Identity{}, err
		}
	}
	if c.opts.Finish != nil {
		if err := c.opts.Finish(claims, &id); err != nil {
			return federation.Identity{}, err
		}
	}
	if id.Issuer == "" || id.Subject == "" {
		return federation.Identity{}, fmt.Errorf("%w: no issuer or subject", federation.ErrTokenInvalid)
	}
	return id, nil
}

// verify runs go-oidc's verification (signature through KeySet, iss unless
// skipped, aud, exp, nbf) and then azp, iat and sub.
func (c *Connector) verify(ctx context.Context, raw string) (Claims, error) {
	nctx, note := withVerifyNote(ctx)
	idt, err := c.verifier.Verify(nctx, raw)
	if err != nil {
		switch {
		case note.fetchErr != nil:
			return Claims{}, fmt.Errorf("verifying id token: %w", note.fetchErr)
		case note.payload != nil && !c.opts.SkipIssuerCheck && c.wrongIssuer(note.payload):
			// The signature verified, so the iss we read is the upstream's.
			return Claims{}, fmt.Errorf("%w: %w", federation.ErrIssuerMismatch, err)
		default:
			return Claims{}, fmt.Errorf("%w: %w", federation.ErrTokenInvalid, err)
		}
	}
	var rawClaims json.RawMessage
	if err := idt.Claims(&rawClaims); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", federation.ErrTokenInvalid, err)
	}
	claims, err := ParseClaims(rawClaims)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", federation.ErrTokenInvalid, err)
	}
	if claims.Subject == "" {
		return Claims{}, fmt.Errorf("%w: no sub claim", federation.ErrTokenInvalid)
	}
	// OpenID Connect Core 3.1.3.7 steps 4 and 5.
	if len(claims.Audience) > 1 && claims.AZP == "" {
		return Claims{}, fmt.Errorf("%w: several audiences and no azp", federation.ErrTokenInvalid)
	}
	if claims.AZP != "" && claims.AZP != c.cfg.ClientID {
		return Claims{}, fmt.Errorf("%w: azp %q is not this client", federation.ErrTokenInvalid, claims.AZP)
	}
	now := c.env.Clock()
	if claims.IssuedAt.IsZero() {
		return Claims{}, fmt.Errorf("%w: no iat claim", federation.ErrTokenInvalid)
	}
	if claims.IssuedAt.After(now.Add(maxIATSkew)) {
		return Claims{}, fmt.Errorf("%w: iat %s is in the future", federation.ErrTokenInvalid, claims.IssuedAt.UTC().Format(time.RFC3339))
	}
	return claims, nil
}

// wrongIssuer applies go-oidc's issuer rule (exact, plus Google's
// scheme-less alias) to a payload whose signature verified.
func (c *Connector) wrongIssuer(payload []byte) bool {
	var p struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return false
	}
	if p.Iss == c.cfg.Issuer {
		return false
	}
	return !(c.cfg.Issuer == "https://accounts.google.com" && p.Iss == "accounts.google.com")
}

// userInfo fills email and email_verified from the userinfo endpoint when
// the ID token lacks them; see the package doc for the rules.
func (c *Connector) userInfo(ctx context.Context, tok *oauth2.Token, claims Claims, id *federation.Identity) error {
	ui, err := c.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("%w: userinfo: %w", federation.ErrUpstreamUnavailable, ue.Err)
		}
		return fmt.Errorf("%w: userinfo: %s", federation.ErrUpstreamUnavailable, short(err.Error()))
	}
	if ui.Subject != claims.Subject {
		return fmt.Errorf("%w: userinfo sub differs from the id token's", federation.ErrTokenInvalid)
	}
	switch {
	case claims.Email == "":
		id.Email = ui.Email
		id.EmailVerified = ui.Email != "" && ui.EmailVerified
	case federation.EmailKey(ui.Email) == federation.EmailKey(claims.Email):
		id.EmailVerified = ui.EmailVerified
	}
	if id.Name == "" {
		var extra struct {
			Name string `json:"name"`
		}
		if ui.Claims(&extra) == nil {
			id.Name = extra.Name
		}
	}
	return nil
}

// tokenError classifies a failed code exchange without repeating the
// response body (which x/oauth2 puts in its error text).
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		if re.ErrorCode != "" && status < 500 {
			return fmt.Errorf("token endpoint: %w", federation.NewUpstreamError(re.ErrorCode, re.ErrorDescription))
		}
		return fmt.Errorf("%w: token endpoint returned HTTP %d", federation.ErrUpstreamUnavailable, status)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%w: token request: %w", federation.ErrUpstreamUnavailable, ue.Err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w: token request: %w", federation.ErrUpstreamUnavailable, err)
	}
	return fmt.Errorf("%w: token endpoint returned a malformed response", federation.ErrUpstreamUnavailable)
}
