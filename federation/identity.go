package federation

import (
	"log/slog"
	"time"
)

// Identity is the verified result of one upstream sign-in.
//
// (ConnectionID, Issuer, Subject) is the stable key a link is stored under;
// Email and names are display data and linking hints, never keys: upstream
// admins and users can change them (Entra "nOAuth").
type Identity struct {
	// ConnectionID is the Gatehouse connection that produced the identity.
	ConnectionID string
	// Issuer is the verified issuer. For Entra it is the resolved per-tenant
	// issuer "{base}/{tid}/v2.0", never the discovery template.
	Issuer string
	// Subject is the upstream's stable user id: sub for OIDC and Google,
	// "{tid}:{oid}" for Entra (oid survives app re-registration, sub does not).
	Subject string

	Email string
	// EmailVerified reports whether the upstream vouches that the user
	// controls Email. Each connector documents where it comes from.
	EmailVerified     bool
	Name              string
	PreferredUsername string

	// HostedDomain is Google's hd claim (Workspace domain), empty for
	// consumer accounts.
	HostedDomain string
	// TenantID and ObjectID are Entra's tid and oid.
	TenantID string
	ObjectID string

	// AMR is the upstream amr claim, if any (RFC 8176 values).
	AMR []string
	// ACR is the upstream acr claim, if any.
	ACR string
	// UpstreamMFA is true when the upstream asserted multi-factor
	// authentication (amr contains "mfa"). Whether that may replace
	// Gatehouse's own second factor is tenant policy, decided by the idp.
	UpstreamMFA bool
	// AuthTime is the upstream auth_time, zero if absent.
	AuthTime time.Time

	// RawClaims are all verified ID-token claims (numbers as json.Number),
	// for audit and for claim mapping by the idp. Interpret provider
	// claims (hd, tid, ...) only through the fields above: the generic
	// connector does not vouch for them.
	RawClaims map[string]any
}

// LinkKey is the key a link between an upstream account and a local user
// is stored and looked up under.
type LinkKey struct {
	ConnectionID string
	Issuer       string
	Subject      string
}

// Key returns the identity's link key.
func (id Identity) Key() LinkKey {
	return LinkKey{ConnectionID: id.ConnectionID, Issuer: id.Issuer, Subject: id.Subject}
}

// LogValue keeps logs to the key and the security-relevant flags; the
// email, names and raw claims stay out of log lines.
func (id Identity) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("connection_id", id.ConnectionID),
		slog.String("issuer", id.Issuer),
		slog.String("subject", id.Subject),
		slog.Bool("email_verified", id.EmailVerified),
		slog.Bool("upstream_mfa", id.UpstreamMFA),
	)
}
