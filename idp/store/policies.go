package store

import (
	"context"
	"time"
)

// The access-policy aggregates: brute-force counters, password
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

// AttemptRule is when the counter of Key admits one more attempt: Waits[n]
// is how long after the counter's last failure an attempt may go ahead
// while the counter stands at n failures; counts beyond the end use the
// last entry (the lock). A zero wait admits at any time; no Waits at all
// admits every attempt. The schedule is policy.Throttle's (Schedule), so
// the store applies the back-off and the lock without knowing them.
type AttemptRule struct {
	Key   string
	Waits []time.Duration
}

// WaitMicros is the schedule in microseconds (the stores' resolution),
// never empty, and the index of its last entry.
func (r AttemptRule) WaitMicros() ([]int64, int) {
	if len(r.Waits) == 0 {
		return []int64{0}, 0
	}
	out := make([]int64, len(r.Waits))
	for i, w := range r.Waits {
		out[i] = max(0, w.Microseconds())
	}
	return out, len(out) - 1
}

// LoginThrottles keeps failed sign-in counters in the database, so every
// replica sees the same numbers.
type LoginThrottles interface {
	// RecordLoginFailure adds one failure to key's counter in one atomic
	// statement and returns the counter after it. A counter whose last
	// failure is at or before now-quiet starts again at 1.
	RecordLoginFailure(ctx context.Context, tenantID, key string, now time.Time, quiet time.Duration) (LoginCounter, error)
	// ReserveLoginAttempt counts one attempt against every rule's key, before
	// the credential is checked, in one transaction: each key's counter
	// grows by one in a single conditional statement (restarting at 1 when
	// it was quiet for quiet, as RecordLoginFailure) that admits the attempt
	// only when the counter allows one at now. reserved reports whether
	// every counter admitted it: only then may the credential be checked.
	// A refused attempt is counted all the same (a guess is a guess), so N
	// concurrent callers see N increments and exactly the admissible number
	// of reservations. counters are the counters afterwards, in rule order.
	// Callers pass the keys of one attempt in a fixed order (account, then
	// address), so concurrent reservations never wait on each other in a
	// circle.
	ReserveLoginAttempt(ctx context.Context, tenantID string, rules []AttemptRule, now time.Time, quiet time.Duration) (reserved bool, counters []LoginCounter, err error)
	// RefundLoginAttempt takes back one reserved attempt of key (the
	// credential was right): its count drops by one, never below zero. The
	// last failure time stays.
	RefundLoginAttempt(ctx context.Context, tenantID, key string) error
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
