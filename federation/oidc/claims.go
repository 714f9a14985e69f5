package oidc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Claims are the ID-token claims the connectors read, parsed leniently
// where providers disagree (booleans sent as strings, amr as one string).
// Raw holds every claim.
type Claims struct {
	Issuer    string
	Subject   string
	Audience  []string
	AZP       string
	Nonce     string
	IssuedAt  time.Time
	ExpiresAt time.Time
	AuthTime  time.Time

	Email             string
	EmailVerified     *bool // nil when the claim is absent
	Name              string
	PreferredUsername string

	// Provider-specific claims, interpreted only by their connector.
	HostedDomain             string // Google hd
	TenantID                 string // Entra tid
	ObjectID                 string // Entra oid
	EmailDomainOwnerVerified *bool  // Entra xms_edov, nil when absent

	AMR []string
	ACR string

	Raw map[string]any
}

// ParseClaims reads a verified ID-token payload.
func ParseClaims(payload []byte) (Claims, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return Claims{}, fmt.Errorf("id token claims are not a JSON object: %w", err)
	}
	c := Claims{
		Issuer:                   str(raw["iss"]),
		Subject:                  str(raw["sub"]),
		Audience:                 strs(raw["aud"]),
		AZP:                      str(raw["azp"]),
		Nonce:                    str(raw["nonce"]),
		IssuedAt:                 unixTime(raw["iat"]),
		ExpiresAt:                unixTime(raw["exp"]),
		AuthTime:                 unixTime(raw["auth_time"]),
		Email:                    strings.TrimSpace(str(raw["email"])),
		EmailVerified:            boolish(raw["email_verified"]),
		Name:                     str(raw["name"]),
		PreferredUsername:        str(raw["preferred_username"]),
		HostedDomain:             str(raw["hd"]),
		TenantID:                 str(raw["tid"]),
		ObjectID:                 str(raw["oid"]),
		EmailDomainOwnerVerified: boolish(raw["xms_edov"]),
		AMR:                      strs(raw["amr"]),
		ACR:                      str(raw["acr"]),
		Raw:                      raw,
	}
	return c, nil
}

// UpstreamMFA reports whether amr asserts multi-factor authentication
// (RFC 8176 "mfa").
func (c Claims) UpstreamMFA() bool { return slices.Contains(c.AMR, "mfa") }

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	switch t := v.(type) {
	case string:
		if t == "" {
			return nil
		}
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// boolish accepts true/false, "true"/"false" and 1/0; anything else is
// treated as absent.
func boolish(v any) *bool {
	var b bool
	switch t := v.(type) {
	case bool:
		b = t
	case string:
		switch strings.ToLower(t) {
		case "true", "1":
			b = true
		case "false", "0":
			b = false
		default:
			return nil
		}
	case json.Number:
		switch t.String() {
		case "1":
			b = true
		case "0":
			b = false
		default:
			return nil
		}
	default:
		return nil
	}
	return &b
}

func unixTime(v any) time.Time {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}
	}
	f, err := n.Float64()
	if err != nil || f <= 0 || f > math.MaxInt32*4 {
		return time.Time{}
	}
	return time.Unix(int64(f), 0)
}
