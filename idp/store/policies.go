package store

import (
	"context"
	"time"
)

// The access-policy aggregates (issue 5): brute-force counters, password
// history, which apps a session signed into, and clients' back-channel
// logout addresses. Their tables are migration 00004.

// LoginCounter is one brute-force counter: failed sign-ins for one key (an
// account or a client address) since the streak began.
type LoginCounter struct {
	Key            string
	Failures       int
	FirstFailureAt time.Time
	LastFailureAt  time.Time
}

// LoginThrottles keeps failed sign-in counters in the database, so every
// replica sees the same numbers.
type LoginThrottles interface {
	// RecordLoginFailure adds one failure to key's counter in one atomic
	// statement and returns the counter after it. A counter whose last
	// failure is at or before now-quiet starts again at 1.
	RecordLoginFailure(ctx context.Context, tenantID, key string, now time.Time, quiet time.Duration) (LoginCounter, error)
	// LoginCounterByKey returns key's counter; a key without failures gives a
	// zero counter (Failures 0), not an error.
	LoginCounterByKey(ctx context.Context, tenantID, key string) (LoginCounter, error)
	// ClearLoginFailures deletes the counters of keys and returns how many
	// existed.
	ClearLoginFailures(ctx context.Context, tenantID string, keys ...string) (int64, error)
	// DeleteStaleLoginFailures removes counters whose last failure is before
	// cutoff (housekeeping).
	DeleteStaleLoginFailures(ctx context.Context, cutoff time.Time) (int64, error)
}

// PasswordHistories keeps the hashes of a user's previous passwords.
type PasswordHistories interface {
	// AddPasswordHistory records hash (a password the user no longer uses)
	// and keeps only the newest keep entries of the user (keep <= 0 keeps none).
	AddPasswordHistory(ctx context.Context, tenantID, userID, hash string, at time.Time, keep int) error
	// ListPasswordHistory returns up to limit hashes, newest first.
	ListPasswordHistory(ctx context.Context, tenantID, userID string, limit int) ([]string, error)
}

// SessionClient is one application an SSO session signed into.
type SessionClient struct {
	ClientID string
	FirstAt  time.Time
	LastAt   time.Time
}

// SessionClients records which applications each SSO session signed into
// (the sessions page shows them; back-channel logout notifies them).
type SessionClients interface {
	// RecordSessionClient notes a sign-in of the session into clientID at now
	// (FirstAt kept, LastAt moved). ErrNotFound for an unknown session.
	RecordSessionClient(ctx context.Context, tenantID, sessionID, clientID string, now time.Time) error
	// ListSessionClients returns the session's applications, oldest first.
	ListSessionClients(ctx context.Context, tenantID, sessionID string) ([]SessionClient, error)
}

// ClientLogouts stores relying parties' OpenID Connect Back-Channel Logout
// endpoints.
type ClientLogouts interface {
	// SetBackchannelLogoutURI sets (or with "" removes) the client's
	// back-channel logout URI. ErrNotFound for an unknown client.
	SetBackchannelLogoutURI(ctx context.Context, tenantID, clientID, uri string) error
	// BackchannelLogoutURI returns the client's URI, "" when it has none.
	BackchannelLogoutURI(ctx context.Context, tenantID, clientID string) (string, error)
}
