package store

import (
	"context"
	"time"
)

// Connection kinds (the federation package's Kind values).
const (
	ConnectionGoogle    = "google"
	ConnectionMicrosoft = "microsoft"
	ConnectionOIDC      = "oidc"
)

// Connection is an upstream identity provider a tenant lets its users sign
// in with ("Sign in with Google", "Sign in with Office 365", generic OIDC).
type Connection struct {
	ID       string
	TenantID string
	Kind     string // google | microsoft | oidc
	Name     string // the button label's provider name
	// Config is the kind's JSON settings (client_id, issuer, allowed
	// domains, ...) without the client secret, the connection id and the
	// redirect URL, which the idp fills in when it opens the connector.
	Config []byte
	// SealedSecret is the upstream client secret sealed by the caller
	// (seal.PurposeUpstreamSecret, label tenant/connection id).
	SealedSecret []byte
	Enabled      bool
	// JIT creates a local user on the first sign-in of an unknown upstream
	// account with a verified email.
	JIT         bool
	DefaultRole string
	// LinkMode is "none" or "verified_email_with_proof".
	LinkMode string
	// AcceptUpstreamMFA lets the upstream's amr "mfa" count as a second
	// factor.
	AcceptUpstreamMFA bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Link ties one upstream account, keyed by (connection, issuer, subject),
// to a local user. Email is the upstream email at link time: display data,
// never a key.
type Link struct {
	TenantID     string
	ConnectionID string
	Issuer       string
	Subject      string
	UserID       string
	Email        string
	CreatedAt    time.Time
	LastUsedAt   time.Time
}

// FederationState is the single-use record of one upstream round trip
// (its state value, stored as SHA-256).
type FederationState struct {
	TenantID     string
	Hash         []byte
	ConnectionID string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	UsedAt       *time.Time
}

// Connections stores a tenant's upstream connections.
type Connections interface {
	// CreateConnection inserts c: ErrConflict for a duplicate id.
	CreateConnection(ctx context.Context, c *Connection) error
	ConnectionByID(ctx context.Context, tenantID, id string) (*Connection, error)
	// ListConnections returns the tenant's connections, oldest first.
	ListConnections(ctx context.Context, tenantID string) ([]*Connection, error)
	// UpdateConnection saves Name, Config, SealedSecret, Enabled, JIT,
	// DefaultRole, LinkMode, AcceptUpstreamMFA and UpdatedAt.
	UpdateConnection(ctx context.Context, c *Connection) error
	// DeleteConnection removes the connection, its links and its
	// federation states.
	DeleteConnection(ctx context.Context, tenantID, id string) error
}

// Links stores upstream-account links and the bookkeeping of federated
// sign-ins.
type Links interface {
	// CreateLink inserts l: ErrConflict when (connection, issuer, subject)
	// is already linked, ErrNotFound when the connection or user does not
	// exist in the tenant.
	CreateLink(ctx context.Context, l *Link) error
	LinkByKey(ctx context.Context, tenantID, connectionID, issuer, subject string) (*Link, error)
	// ListUserLinks returns the user's links, oldest first.
	ListUserLinks(ctx context.Context, tenantID, userID string) ([]*Link, error)
	// TouchLink sets LastUsedAt.
	TouchLink(ctx context.Context, tenantID, connectionID, issuer, subject string, now time.Time) error
	// DeleteLink removes the link only if it belongs to userID.
	DeleteLink(ctx context.Context, tenantID, userID, connectionID, issuer, subject string) error

	// CreateFederationState records a round trip's state hash.
	CreateFederationState(ctx context.Context, st *FederationState) error
	// ConsumeFederationState marks the state used exactly once across all
	// callers: ErrNotFound (unknown, or another connection), ErrAlreadyUsed,
	// ErrExpired.
	ConsumeFederationState(ctx context.Context, tenantID, connectionID string, hash []byte, now time.Time) error

	// RecordFederatedLogin remembers that the login transaction of auth
	// request authRequestID authenticated through connectionID.
	RecordFederatedLogin(ctx context.Context, tenantID, authRequestID, connectionID string, now time.Time) error
	// AttachFederatedSession stores the session that login produced:
	// ErrNotFound when the request did not sign in through a connection.
	AttachFederatedSession(ctx context.Context, tenantID, authRequestID, sessionID string) error
	// ConnectionSessionIDs lists the sessions created through connectionID.
	ConnectionSessionIDs(ctx context.Context, tenantID, connectionID string) ([]string, error)
	// DeleteExpiredFederationStates removes states and unfinished login
	// records that expired (or started) before cutoff.
	DeleteExpiredFederationStates(ctx context.Context, cutoff time.Time) (int64, error)
}
