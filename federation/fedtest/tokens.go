package fedtest

import (
	"encoding/json"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// idToken builds and signs the ID token for a redeemed grant.
func (p *Provider) idToken(g *grant, f Faults, now time.Time) (string, error) {
	u := g.user
	claims := map[string]any{
		"iss": p.tokenIssuer(u),
		"sub": u.Subject,
		"aud": g.clientID,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	switch f.Nonce {
	case NonceEcho:
		if g.nonce != "" {
			claims["nonce"] = g.nonce
		}
	case NonceWrong:
		claims["nonce"] = "not-the-nonce-you-sent-" + mustRandom()[:8]
	case NonceOmit:
	}
	if u.Email != "" {
		claims["email"] = u.Email
	}
	if u.EmailVerified != nil {
		claims["email_verified"] = *u.EmailVerified
	}
	if u.Name != "" {
		claims["name"] = u.Name
	}
	if u.HostedDomain != "" {
		claims["hd"] = u.HostedDomain
	}
	if p.flavor == FlavorEntra {
		claims["ver"] = "2.0"
		if u.TenantID != "" {
			claims["tid"] = u.TenantID
		}
		if u.ObjectID != "" {
			claims["oid"] = u.ObjectID
		}
		if u.Email != "" {
			claims["preferred_username"] = u.Email
		}
	}
	if u.EDOV != nil {
		claims["xms_edov"] = *u.EDOV
	}
	if len(u.AMR) > 0 {
		claims["amr"] = u.AMR
	}
	for k, v := range u.Extra {
		claims[k] = v
	}

	if f.Audience != "" {
		claims["aud"] = f.Audience
	}
	if f.Expired {
		claims["iat"] = now.Add(-2 * time.Hour).Unix()
		claims["exp"] = now.Add(-time.Hour).Unix()
	}
	if f.Issuer != "" {
		claims["iss"] = f.Issuer
	}
	if f.ClaimsOnlyInUserInfo {
		delete(claims, "email")
		delete(claims, "email_verified")
	}
	for k, v := range f.ExtraClaims {
		claims[k] = v
	}
	for _, k := range f.DropClaims {
		delete(claims, k)
	}

	p.mu.Lock()
	key := p.keys[0]
	if f.SignWithUnpublishedKey {
		// Same kid as the published key: the JWKS has that kid, the
		// signature does not verify with it.
		key = &signingKey{kid: key.kid, priv: p.rogue.priv}
	}
	p.mu.Unlock()
	kid := key.kid
	if f.RandomKeyID {
		kid = mustRandom()[:16]
	}
	return sign(key, kid, claims)
}

// SignJWT signs claims with the provider's current key, as-is: tests use
// it to hand-craft tokens for a KeySet.
func (p *Provider) SignJWT(claims map[string]any) (string, error) {
	p.mu.Lock()
	key := p.keys[0]
	p.mu.Unlock()
	return sign(key, key.kid, claims)
}

func (p *Provider) tokenIssuer(u User) string {
	if p.flavor == FlavorEntra {
		return p.URL + "/" + u.TenantID + "/v2.0"
	}
	return p.Issuer
}

func sign(key *signingKey, kid string, claims map[string]any) (string, error) {
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key.priv, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
