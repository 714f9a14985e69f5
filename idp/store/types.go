package store

import (
	"strings"
	"time"
)

// Roles inside a tenant.
const (
	RoleOwner = "owner" // everything, including the audit log
	RoleAdmin = "admin" // users, clients, connections, policies
	RoleAgent = "agent" // signs in, manages own account
)

// ValidRole reports whether r is one of the three tenant roles.
func ValidRole(r string) bool { return r == RoleOwner || r == RoleAdmin || r == RoleAgent }

// RoleAtLeast reports whether role r includes role min (owner > admin >
// agent); an unknown role includes nothing.
func RoleAtLeast(r, min string) bool {
	rank := map[string]int{RoleAgent: 1, RoleAdmin: 2, RoleOwner: 3}
	return rank[r] > 0 && rank[r] >= rank[min]
}

// Tenant is one helpdesk customer account and one OpenID issuer
// ({public_url}/t/{slug}).
type Tenant struct {
	ID        string
	Slug      string
	Name      string
	Settings  TenantSettings
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TenantSettings are the tenant's policies. They are stored as one JSON
// document so that a new policy needs no schema change; zero values mean
// "use the default" and are resolved by the With* helpers.
type TenantSettings struct {
	// SessionIdleMinutes ends an SSO session after this long without activity.
	SessionIdleMinutes int `json:"session_idle_minutes,omitempty"`
	// SessionLifetimeHours ends an SSO session this long after sign-in, whatever the activity.
	SessionLifetimeHours int `json:"session_lifetime_hours,omitempty"`
	// AccessTokenMinutes is the lifetime of access tokens.
	AccessTokenMinutes int `json:"access_token_minutes,omitempty"`
	// IDTokenMinutes is the lifetime of ID tokens.
	IDTokenMinutes int `json:"id_token_minutes,omitempty"`
	// RefreshTokenDays bounds a refresh-token family (a session ending ends it sooner).
	RefreshTokenDays int `json:"refresh_token_days,omitempty"`

	PolicySettings // access policies: policy_settings.go
	// Second factors (docs/mfa.md). MFAMode is never|always|new-device|
	// new-location (empty: always); MFAMethods the factors users may enroll
	// (empty: totp, webauthn); RememberDeviceDays lets a user skip the second
	// factor on one browser for that long (0: not offered).
	MFAMode            string   `json:"mfa_mode,omitempty"`
	MFAMethods         []string `json:"mfa_methods,omitempty"`
	RememberDeviceDays int      `json:"remember_device_days,omitempty"`
	// SenderName is the display name on the tenant's emails (empty: the
	// tenant's name); SMSProvider picks a configured SMS provider (twilio or
	// webhook; empty: the server's default).
	SenderName  string `json:"sender_name,omitempty"`
	SMSProvider string `json:"sms_provider,omitempty"`
	// AuditRetentionDays is how long the tenant's audit events are kept
	// (30 to 3650; 0: DefaultAuditRetentionDays).
	AuditRetentionDays int `json:"audit_retention_days,omitempty"`
}

// Defaults applied where a setting is zero.
const (
	DefaultSessionIdleMinutes   = 60
	DefaultSessionLifetimeHours = 12
	DefaultAccessTokenMinutes   = 10
	DefaultIDTokenMinutes       = 10
	DefaultRefreshTokenDays     = 30
	DefaultAuditRetentionDays   = 365
	MinAuditRetentionDays       = 30
	MaxAuditRetentionDays       = 3650
)

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// AuditRetention is how long audit events are kept.
func (s TenantSettings) AuditRetention() time.Duration {
	return time.Duration(orDefault(s.AuditRetentionDays, DefaultAuditRetentionDays)) * 24 * time.Hour
}

// SessionIdle is the idle timeout.
func (s TenantSettings) SessionIdle() time.Duration {
	return time.Duration(orDefault(s.SessionIdleMinutes, DefaultSessionIdleMinutes)) * time.Minute
}

// SessionLifetime is the absolute session lifetime.
func (s TenantSettings) SessionLifetime() time.Duration {
	return time.Duration(orDefault(s.SessionLifetimeHours, DefaultSessionLifetimeHours)) * time.Hour
}

// AccessTokenLifetime is the access token lifetime.
func (s TenantSettings) AccessTokenLifetime() time.Duration {
	return time.Duration(orDefault(s.AccessTokenMinutes, DefaultAccessTokenMinutes)) * time.Minute
}

// IDTokenLifetime is the ID token lifetime.
func (s TenantSettings) IDTokenLifetime() time.Duration {
	return time.Duration(orDefault(s.IDTokenMinutes, DefaultIDTokenMinutes)) * time.Minute
}

// RefreshTokenLifetime bounds a refresh token family.
func (s TenantSettings) RefreshTokenLifetime() time.Duration {
	return time.Duration(orDefault(s.RefreshTokenDays, DefaultRefreshTokenDays)) * 24 * time.Hour
}

// Sender is the display name the tenant's emails and texts come from:
// SenderName, or the tenant's name when it is blank.
func (s TenantSettings) Sender(tenantName string) string {
	if n := strings.TrimSpace(s.SenderName); n != "" {
		return n
	}
	return tenantName
}

// User is a person who signs in to one tenant.
type User struct {
	ID            string
	TenantID      string
	Email         string // stored lower-cased; unique per tenant
	EmailVerified bool
	Name          string
	Role          string
	// PasswordHash is an argon2id PHC string, or empty for a user without a password.
	PasswordHash      string
	PasswordChangedAt time.Time
	Disabled          bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Grant types a client may use.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// Application types (how redirect URIs are judged).
const (
	AppWeb    = "web"    // server-side app; https redirect URIs (http allowed for confidential clients)
	AppNative = "native" // desktop/mobile app; loopback http with any port, custom schemes
	AppSPA    = "spa"    // browser app; public, https only
)

// Client is a relying party: a helpdesk app.
type Client struct {
	ID       string // the client_id
	TenantID string
	Name     string
	// SecretHash is SHA-256 of the client secret; empty for public clients.
	SecretHash             []byte
	Public                 bool
	AppType                string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	// Scopes are the non-OpenID scopes the client may ask for, such as
	// "gatehouse.audit" (the tenant's audit log API); empty: none.
	Scopes    []string
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Scopes a client may be granted (Client.Scopes), for its own tokens
// (client credentials).
const (
	// ScopeAudit reads and exports the tenant's audit log (the audit API).
	ScopeAudit = "gatehouse.audit"
)

// GrantableScopes lists the scopes a client may be granted.
var GrantableScopes = []string{ScopeAudit}

// HasGrant reports whether the client may use grant g.
func (c *Client) HasGrant(g string) bool {
	for _, x := range c.GrantTypes {
		if x == g {
			return true
		}
	}
	return false
}

// AuthRequest is one authorization request and its login transaction.
type AuthRequest struct {
	ID                  string
	TenantID            string
	ClientID            string
	RedirectURI         string
	Scopes              []string
	State               string
	Nonce               string
	ResponseType        string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string
	MaxAge              *int64 // seconds; nil when absent
	LoginHint           string
	HintUserID          string // subject of a valid id_token_hint
	ACRValues           []string

	// Filled when the login transaction completes.
	UserID    string
	SessionID string
	AuthTime  time.Time
	AMR       []string
	ACR       string
	Done      bool

	// CodeHash is SHA-256 of the authorization code once one was issued.
	CodeHash []byte
	// CodeUsedAt is set when the code was redeemed.
	CodeUsedAt *time.Time
	// Tokens issued when the code was redeemed, revoked if the code is presented again.
	IssuedAccessTokenID string
	IssuedFamilyID      string

	CreatedAt time.Time
	ExpiresAt time.Time

	// BrowserBinding is the SHA-256 of the login-binding cookie of the
	// browser that started the request (idp/login_binding.go); required.
	BrowserBinding []byte
}

// Session is a server-side SSO session.
type Session struct {
	ID        string
	TenantID  string
	UserID    string
	AuthTime  time.Time
	AMR       []string
	ACR       string
	IP        string
	UserAgent string
	CreatedAt time.Time
	// LastSeenAt is the last user activity (sign-in, token refresh).
	LastSeenAt time.Time
	// IdleExpiresAt moves forward with activity; ExpiresAt never moves.
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
	EndedAt       *time.Time
	EndReason     string
	// CookieHash is the SHA-256 of the random value in the browser's session
	// cookie; ReauthenticateSession replaces it (idp/session).
	CookieHash []byte
}

// Active reports whether the session can still be used at now.
func (s *Session) Active(now time.Time) bool {
	return s.EndedAt == nil && now.Before(s.ExpiresAt) && now.Before(s.IdleExpiresAt)
}

// RefreshToken is one member of a rotation family. The token value itself is
// never stored; Hash is its SHA-256.
type RefreshToken struct {
	ID        string
	TenantID  string
	Hash      []byte
	FamilyID  string
	ClientID  string
	UserID    string
	SessionID string
	Scopes    []string
	AMR       []string
	ACR       string
	AuthTime  time.Time
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
}

// AccessTokenRef names what an issued (self-contained, unstored) access token
// depends on. It is active when none of its parts was revoked and its session,
// if any, is active.
type AccessTokenRef struct {
	TokenID   string // the jti
	FamilyID  string // refresh family it came with, if any
	SessionID string // SSO session, empty for client_credentials
}

// SigningKey is one tenant signing key. The private key is sealed by the caller.
type SigningKey struct {
	ID        string // the kid
	TenantID  string
	Algorithm string // "ES256"
	Sealed    []byte // AES-GCM sealed private key (PKCS#8)
	PublicJWK []byte // JSON Web Key of the public key
	CreatedAt time.Time
	RetiredAt *time.Time // no longer signs
	RemoveAt  *time.Time // leaves the JWKS (tokens signed with it have expired)
}

// Action token kinds.
const (
	ActionSetupOwner    = "setup_owner"    // first owner sets a password
	ActionPasswordReset = "password_reset" // reset by email link
)

// ActionToken is a single-use link token (stored as its SHA-256).
type ActionToken struct {
	Hash      []byte
	TenantID  string
	Kind      string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// AuditEvent is one append-only security event. It never holds a secret,
// code, token or password.
type AuditEvent struct {
	ID       string
	TenantID string
	// Seq is the event's position in its tenant's chain, from 1; set by
	// AppendAuditEvent.
	Seq     int64
	Type    string // one of the catalogue in idp/audit, e.g. "login.password.failed"
	Outcome string // AuditSuccess, AuditFailure or "" (a plain fact)
	// ActorKind and ActorID say who acted: a user (ActorID: user id), a
	// client (client id), the CLI, or the system (sweeper, policy).
	ActorKind string
	ActorID   string
	UserID    string // the user the event is about ("" when none)
	ClientID  string
	SessionID string
	IP        string
	UserAgent string // a summary ("Firefox 133 on Linux"), not the raw header
	Location  string // named when GeoIP is configured
	RequestID string
	Detail    map[string]string
	CreatedAt time.Time
	// PrevHash is the previous event's Hash (nil for a chain's first event);
	// Hash is AuditHash(PrevHash, this event). Both set by AppendAuditEvent.
	PrevHash []byte
	Hash     []byte
}

// Audit outcomes and actor kinds.
const (
	AuditSuccess = "success"
	AuditFailure = "failure"

	ActorUser   = "user"
	ActorClient = "client"
	ActorCLI    = "cli"
	ActorSystem = "system"
)

// AuditExport is one export of a tenant's audit log: who asked, for which
// period and format, and what came of it.
type AuditExport struct {
	ID       string
	TenantID string
	// ActorKind and ActorID: who asked (a user, a client, the CLI).
	ActorKind string
	ActorID   string
	Format    string // "jsonl" or "csv"
	Since     time.Time
	Until     time.Time
	// Stored: the file is kept (in chunks) for download; an export the CLI
	// wrote to a local file keeps only its history.
	Stored     bool
	Status     string // ExportRunning, ExportReady, ExportFailed, ExportExpired
	Rows       int64
	Bytes      int64
	SHA256     string // hex, of the file
	Error      string // why it failed, for people (no internals)
	CreatedAt  time.Time
	FinishedAt *time.Time
	ExpiresAt  time.Time // the stored file is deleted after this
}

// Audit export states.
const (
	ExportRunning = "running"
	ExportReady   = "ready"
	ExportFailed  = "failed"
	ExportExpired = "expired"
)
