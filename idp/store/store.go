package store

import (
	"context"
	"time"
)

// Tenants stores tenants. Lookups by slug are the only unscoped reads: they
// are how a request finds its tenant.
type Tenants interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	TenantByID(ctx context.Context, id string) (*Tenant, error)
	TenantBySlug(ctx context.Context, slug string) (*Tenant, error)
	ListTenants(ctx context.Context) ([]*Tenant, error)
	// UpdateTenant saves Name and Settings.
	UpdateTenant(ctx context.Context, t *Tenant) error
}

// Users stores the people of a tenant.
type Users interface {
	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, tenantID, id string) (*User, error)
	// UserByEmail matches the lower-cased email.
	UserByEmail(ctx context.Context, tenantID, email string) (*User, error)
	ListUsers(ctx context.Context, tenantID string) ([]*User, error)
	// UpdateUser saves Email, EmailVerified, Name, Role, Disabled.
	UpdateUser(ctx context.Context, u *User) error
	// SetPassword replaces the password hash and PasswordChangedAt.
	SetPassword(ctx context.Context, tenantID, userID, hash string, changedAt time.Time) error
}

// Clients stores relying parties.
type Clients interface {
	CreateClient(ctx context.Context, c *Client) error
	ClientByID(ctx context.Context, tenantID, clientID string) (*Client, error)
	ListClients(ctx context.Context, tenantID string) ([]*Client, error)
	// UpdateClient saves Name, SecretHash, RedirectURIs, PostLogoutRedirectURIs,
	// GrantTypes, AppType, Public and Disabled.
	UpdateClient(ctx context.Context, c *Client) error
	DeleteClient(ctx context.Context, tenantID, clientID string) error
}

// AuthRequests stores authorization requests and their codes.
type AuthRequests interface {
	// CreateAuthRequest refuses a request without a BrowserBinding: every
	// login transaction is bound to the browser that started it.
	CreateAuthRequest(ctx context.Context, r *AuthRequest) error
	AuthRequestByID(ctx context.Context, tenantID, id string) (*AuthRequest, error)
	// CompleteAuthRequest records the finished login (UserID, SessionID,
	// AuthTime, AMR, ACR, and ExpiresAt, which becomes the deadline for
	// redeeming the code) and sets Done. A request that is already done, or
	// expired at now, is not changed: ErrAlreadyUsed / ErrExpired.
	CompleteAuthRequest(ctx context.Context, r *AuthRequest, now time.Time) error
	// SetAuthCode attaches the hash of the issued code to a done request
	// that has no code yet (ErrAlreadyUsed otherwise).
	SetAuthCode(ctx context.Context, tenantID, id string, codeHash []byte) error
	// AuthRequestByCode finds a request by code hash without consuming it.
	AuthRequestByCode(ctx context.Context, tenantID string, codeHash []byte) (*AuthRequest, error)
	// ConsumeAuthCode marks the code used, exactly once across all callers, and
	// records which tokens it produced. A second call returns ErrAlreadyUsed and
	// the request (so the caller can revoke IssuedAccessTokenID/IssuedFamilyID);
	// a request past ExpiresAt returns ErrExpired.
	ConsumeAuthCode(ctx context.Context, tenantID string, codeHash []byte, accessTokenID, familyID string, now time.Time) (*AuthRequest, error)
	DeleteAuthRequest(ctx context.Context, tenantID, id string) error
	// DeleteExpiredAuthRequests removes requests that expired before cutoff and
	// returns how many it removed.
	DeleteExpiredAuthRequests(ctx context.Context, cutoff time.Time) (int64, error)
}

// Sessions stores SSO sessions.
type Sessions interface {
	CreateSession(ctx context.Context, s *Session) error
	SessionByID(ctx context.Context, tenantID, id string) (*Session, error)
	ListUserSessions(ctx context.Context, tenantID, userID string) ([]*Session, error)
	// TouchSession records activity: LastSeenAt = now and IdleExpiresAt =
	// min(now+idle, ExpiresAt), only while the session is active at now
	// (ErrExpired otherwise).
	TouchSession(ctx context.Context, tenantID, id string, now time.Time, idle time.Duration) error
	// ReauthenticateSession records a new authentication of the session's own
	// user (ss.UserID must match) while the session is active at now: it sets
	// CookieHash, AuthTime, AMR, ACR, IP, UserAgent, LastSeenAt,
	// IdleExpiresAt and ExpiresAt from ss. The id, and so the tokens and
	// client records of the session, stay. ErrExpired when the session is no
	// longer active (or belongs to another user), ErrNotFound when unknown.
	ReauthenticateSession(ctx context.Context, ss *Session, now time.Time) error
	// EndSession ends an active session and revokes its refresh tokens in the
	// same transaction. Ending an ended session is not an error.
	EndSession(ctx context.Context, tenantID, id, reason string, now time.Time) error
}

// Tokens stores refresh tokens and access-token revocations.
type Tokens interface {
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// RefreshTokenByHash finds a token without consuming it.
	RefreshTokenByHash(ctx context.Context, tenantID string, hash []byte) (*RefreshToken, error)
	// RotateRefreshToken consumes old (exactly once across all callers) and
	// stores next in the same family, in one transaction. If old was already
	// used or revoked, the whole family is revoked and ErrAlreadyUsed returned;
	// if old, or its session, expired at now: ErrExpired.
	RotateRefreshToken(ctx context.Context, tenantID string, oldHash []byte, next *RefreshToken, now time.Time) error
	// RevokeRefreshFamily revokes every token of a family and marks the family
	// revoked for access tokens that reference it.
	RevokeRefreshFamily(ctx context.Context, tenantID, familyID string, now time.Time) error
	// RevokeAccessToken records the revocation of one access token until expiresAt.
	RevokeAccessToken(ctx context.Context, tenantID, tokenID string, expiresAt time.Time) error
	// AccessTokenActive reports whether a token with this reference is still
	// good at now: not revoked, family not revoked, session (if any) active.
	AccessTokenActive(ctx context.Context, tenantID string, ref AccessTokenRef, now time.Time) (bool, error)
	// DeleteExpiredTokens removes refresh tokens and revocation records that
	// expired before cutoff.
	DeleteExpiredTokens(ctx context.Context, cutoff time.Time) (int64, error)
}

// Keys stores tenant signing keys.
type Keys interface {
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	// ListSigningKeys returns the keys whose RemoveAt is nil or after now,
	// newest first.
	ListSigningKeys(ctx context.Context, tenantID string, now time.Time) ([]*SigningKey, error)
	// RetireSigningKeys retires every key of the tenant except keepID:
	// RetiredAt = now (if not set) and RemoveAt = removeAt (if not set).
	RetireSigningKeys(ctx context.Context, tenantID, keepID string, now, removeAt time.Time) error
}

// ActionTokens stores single-use link tokens (first-owner setup, password reset).
type ActionTokens interface {
	CreateActionToken(ctx context.Context, t *ActionToken) error
	// ConsumeActionToken marks the token used exactly once: ErrNotFound for an
	// unknown hash or other kind, ErrAlreadyUsed, ErrExpired.
	ConsumeActionToken(ctx context.Context, tenantID, kind string, hash []byte, now time.Time) (*ActionToken, error)
	// ActionTokenByHash reads a token without consuming it (a page that
	// says at once that its link is used or expired): ErrNotFound for an
	// unknown hash or other kind.
	ActionTokenByHash(ctx context.Context, tenantID, kind string, hash []byte) (*ActionToken, error)
	// CreateFirstOwner consumes a first-owner setup token (ActionSetupOwner)
	// and creates owner (Role must be RoleOwner) in one transaction, which
	// holds only while owner.TenantID has no owner: ErrOwnerExists when it
	// has one, otherwise ConsumeActionToken's errors, or ErrConflict for a
	// taken email. On any error nothing changed (the token stays unused).
	CreateFirstOwner(ctx context.Context, hash []byte, owner *User, now time.Time) error
}

// AuditEvents is the append-only security log. The events of a tenant
// form a hash chain (AuditHash): each event stores the hash of its canonical
// encoding and its predecessor's hash, so an edited, inserted or deleted
// event is detected by walking the chain (idp/audit.Verify).
type AuditEvents interface {
	// AppendAuditEvent fills e's ID (when empty), Seq, PrevHash and Hash and
	// stores it as the tenant's next event. Appends of one tenant are
	// serialised by the database (one row per tenant is locked for the
	// transaction), so replicas appending at once still form one chain.
	// CreatedAt is stored at microsecond precision in UTC; the hash covers
	// the stored value.
	AppendAuditEvent(ctx context.Context, e *AuditEvent) error
	// ListAuditEvents returns matching events newest first (descending Seq),
	// or oldest first when q.Oldest is set; limit <= 0 means 100.
	ListAuditEvents(ctx context.Context, tenantID string, q AuditQuery) ([]*AuditEvent, error)
	// AuditChain returns the tenant's chain head and the anchor left by
	// retention; a tenant without events has the zero chain.
	AuditChain(ctx context.Context, tenantID string) (AuditChain, error)
	// TruncateAuditEvents deletes, oldest first, at most limit events
	// created before before, stopping at the first event that is not (the
	// chain stays one contiguous suffix), and moves the anchor to the last
	// deleted event so the rest still verifies. It returns how many went.
	TruncateAuditEvents(ctx context.Context, tenantID string, before time.Time, limit int) (int, error)
}

// AuditQuery filters ListAuditEvents. Every field is optional.
type AuditQuery struct {
	UserID string
	Types  []string  // any of these types
	Since  time.Time // created at or after
	Until  time.Time // created before
	// Before is a cursor for newest-first paging: only events with a Seq
	// below it (the Seq of the last event of the previous page).
	Before int64
	// Oldest asks for oldest-first order (ascending Seq), and After is its
	// cursor: only events with a Seq above it. Export and verification walk
	// the chain this way.
	Oldest bool
	After  int64
	Limit  int
}

// AuditChain is the bookkeeping of a tenant's hash chain.
type AuditChain struct {
	// LastSeq and LastHash are the newest event's (0 and nil: none yet).
	LastSeq  int64
	LastHash []byte
	// AnchorSeq and AnchorHash are the newest event retention deleted (or
	// the last event recorded before the chain existed): the oldest event
	// kept must have Seq AnchorSeq+1 and PrevHash AnchorHash.
	AnchorSeq  int64
	AnchorHash []byte
}

// AuditExports is the history of audit log exports and, for an export made
// in the background, its file, kept in chunks until it expires (so any
// replica can serve the download, and no shared disk is needed).
type AuditExports interface {
	CreateAuditExport(ctx context.Context, x *AuditExport) error
	// ProgressAuditExport records how many rows a running export wrote.
	ProgressAuditExport(ctx context.Context, tenantID, id string, rows int64) error
	// FinishAuditExport records the outcome of a running export (Status,
	// Rows, Bytes, SHA256, Error, FinishedAt); ErrNotFound when it is not
	// running.
	FinishAuditExport(ctx context.Context, x *AuditExport) error
	AuditExportByID(ctx context.Context, tenantID, id string) (*AuditExport, error)
	// ListAuditExports returns the newest exports first; limit <= 0 means 100.
	ListAuditExports(ctx context.Context, tenantID string, limit int) ([]*AuditExport, error)
	// AppendAuditExportChunk stores chunk n (from 0) of a running export's file.
	AppendAuditExportChunk(ctx context.Context, tenantID, id string, n int, data []byte) error
	// ReadAuditExport calls fn with each chunk of a ready export's file, in
	// order, one at a time.
	ReadAuditExport(ctx context.Context, tenantID, id string, fn func(chunk []byte) error) error
	// ExpireAuditExports deletes the files of exports whose ExpiresAt has
	// passed (of every tenant) and marks them expired; the history stays.
	ExpireAuditExports(ctx context.Context, now time.Time) (int, error)
}

// Store is what a backend provides. Code that needs one aggregate asks for
// that interface, not for Store.
type Store interface {
	Housekeeping
	Tenants
	Users
	Clients
	AuthRequests
	Sessions
	Tokens
	Keys
	ActionTokens
	AuditEvents
	AuditExports
	Connections // federation: upstream connections
	Links       // federation: upstream-account links
	Factors
	OTPChallenges
	LoginStates
	BackupCodes
	Devices
	LoginThrottles    // policies.go
	PasswordHistories // policies.go
	SessionClients    // policies.go
	ClientLogouts     // policies.go
	DeviceCentre      // device_centre.go
	// Ping checks the database connection (readiness).
	Ping(ctx context.Context) error
	Close() error
}

// Housekeeping removes rows that no rule reads any more, in every tenant.
type Housekeeping interface {
	// DeleteStaleRows removes sessions that ended, idled out or expired
	// before cutoff (with what hangs off them), action tokens and OTP
	// challenges that expired before cutoff, and OTP send records and
	// second-factor failures older than cutoff. The caller picks a cutoff
	// beyond the longest window any rule counts over. It returns how many
	// rows it removed.
	DeleteStaleRows(ctx context.Context, cutoff time.Time) (int64, error)
}
