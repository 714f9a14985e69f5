package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// ---- brute-force counters ----

// countFailure is the upsert of one failure: the counter restarts when it
// was quiet (last failure at or before $4), otherwise it grows by one.
// INSERT ... ON CONFLICT locks the row, so concurrent failures from any
// number of replicas add up exactly. %s is the condition under which an
// existing counter takes it ("" for always); without the condition the
// upsert returns no row (the row stays locked to the end of the
// transaction).
const countFailure = `INSERT INTO login_failures AS f (tenant_id, key, failures, first_failure_at, last_failure_at)
		VALUES ($1, $2, 1, $3, $3)
		ON CONFLICT (tenant_id, key) DO UPDATE SET
			failures = CASE WHEN f.last_failure_at <= $4 THEN 1 ELSE f.failures + 1 END,
			first_failure_at = CASE WHEN f.last_failure_at <= $4 THEN $3 ELSE f.first_failure_at END,
			last_failure_at = GREATEST(f.last_failure_at, $3)
		%s
		RETURNING failures, first_failure_at, last_failure_at`

// admits is countFailure's condition for a reservation: the counter is
// quiet, or the wait its count owes ($5, microseconds, indexed by the count
// capped at $6) is zero or has passed since the last failure.
const admits = `WHERE f.last_failure_at <= $4
			OR ($5::bigint[])[LEAST(f.failures, $6) + 1] = 0
			OR f.last_failure_at + ($5::bigint[])[LEAST(f.failures, $6) + 1] * interval '1 microsecond' <= $3`

var (
	recordFailureSQL  = fmt.Sprintf(countFailure, "")
	reserveAttemptSQL = fmt.Sprintf(countFailure, admits)
)

func scanCounter(row pgx.Row, key string) (store.LoginCounter, error) {
	c := store.LoginCounter{Key: key}
	err := row.Scan(&c.Failures, &c.FirstFailureAt, &c.LastFailureAt)
	c.FirstFailureAt, c.LastFailureAt = c.FirstFailureAt.UTC(), c.LastFailureAt.UTC()
	return c, err
}

func (s *Store) RecordLoginFailure(ctx context.Context, tenantID, key string, now time.Time, quiet time.Duration) (store.LoginCounter, error) {
	c, err := scanCounter(s.pool.QueryRow(ctx, recordFailureSQL, tenantID, key, now, now.Add(-quiet)), key)
	return c, mapErr("RecordLoginFailure", err)
}

// ReserveLoginAttempt runs the conditional upsert per key inside one
// transaction; a key that refuses (no row returned) and every key after it
// take the unconditional one. The rows stay locked until the commit, so
// concurrent reservations of one account are serialised.
func (s *Store) ReserveLoginAttempt(ctx context.Context, tenantID string, rules []store.AttemptRule, now time.Time, quiet time.Duration) (bool, []store.LoginCounter, error) {
	reserved := true
	var out []store.LoginCounter
	err := s.write(ctx, func(tx pgx.Tx) error {
		reserved, out = true, make([]store.LoginCounter, 0, len(rules))
		for _, r := range rules {
			var c store.LoginCounter
			err := pgx.ErrNoRows
			if reserved {
				waits, last := r.WaitMicros()
				c, err = scanCounter(tx.QueryRow(ctx, reserveAttemptSQL, tenantID, r.Key, now, now.Add(-quiet), waits, last), r.Key)
			}
			if errors.Is(err, pgx.ErrNoRows) {
				reserved = false
				c, err = scanCounter(tx.QueryRow(ctx, recordFailureSQL, tenantID, r.Key, now, now.Add(-quiet)), r.Key)
			}
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return false, nil, mapErr("ReserveLoginAttempt", err)
	}
	return reserved, out, nil
}

func (s *Store) RefundLoginAttempt(ctx context.Context, tenantID, key string) error {
	_, err := s.pool.Exec(ctx, `UPDATE login_failures SET failures = failures - 1
		WHERE tenant_id = $1 AND key = $2 AND failures > 0`, tenantID, key)
	return mapErr("RefundLoginAttempt", err)
}

func (s *Store) LoginCounterByKey(ctx context.Context, tenantID, key string) (store.LoginCounter, error) {
	c := store.LoginCounter{Key: key}
	err := s.pool.QueryRow(ctx, `SELECT failures, first_failure_at, last_failure_at FROM login_failures
		WHERE tenant_id = $1 AND key = $2`, tenantID, key).Scan(&c.Failures, &c.FirstFailureAt, &c.LastFailureAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.LoginCounter{Key: key}, nil
	}
	c.FirstFailureAt, c.LastFailureAt = c.FirstFailureAt.UTC(), c.LastFailureAt.UTC()
	return c, mapErr("LoginCounterByKey", err)
}

func (s *Store) ClearLoginFailures(ctx context.Context, tenantID string, keys ...string) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE tenant_id = $1 AND key = ANY($2)`, tenantID, keys)
	if err != nil {
		return 0, mapErr("ClearLoginFailures", err)
	}
	return tag.RowsAffected(), nil
}

func (s *Store) DeleteStaleLoginFailures(ctx context.Context, cutoff time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE last_failure_at < $1`, cutoff)
	if err != nil {
		return 0, mapErr("DeleteStaleLoginFailures", err)
	}
	return tag.RowsAffected(), nil
}

// ---- password history ----

func (s *Store) AddPasswordHistory(ctx context.Context, tenantID, userID, hash string, at time.Time, keep int) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		if keep > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO password_history (tenant_id, user_id, id, hash, created_at)
				VALUES ($1, $2, $3, $4, $5)`, tenantID, userID, store.NewID(), hash, at); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `DELETE FROM password_history WHERE tenant_id = $1 AND user_id = $2 AND id NOT IN (
			SELECT id FROM password_history WHERE tenant_id = $1 AND user_id = $2
			ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $3)`, tenantID, userID, max(keep, 0))
		return err
	})
	return mapErr("AddPasswordHistory", err)
}

func (s *Store) ListPasswordHistory(ctx context.Context, tenantID, userID string, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT hash FROM password_history WHERE tenant_id = $1 AND user_id = $2
		ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $3`, tenantID, userID, limit)
	if err != nil {
		return nil, mapErr("ListPasswordHistory", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, mapErr("ListPasswordHistory", err)
}

// ---- session clients ----

func (s *Store) RecordSessionClient(ctx context.Context, tenantID, sessionID, clientID string, now time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO session_clients AS c (tenant_id, session_id, client_id, first_at, last_at)
		VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (tenant_id, session_id, client_id) DO UPDATE SET last_at = GREATEST(c.last_at, $4)`,
		tenantID, sessionID, clientID, now)
	return mapErr("RecordSessionClient", err)
}

func (s *Store) ListSessionClients(ctx context.Context, tenantID, sessionID string) ([]store.SessionClient, error) {
	rows, err := s.pool.Query(ctx, `SELECT client_id, first_at, last_at FROM session_clients
		WHERE tenant_id = $1 AND session_id = $2 ORDER BY first_at, client_id COLLATE "C"`, tenantID, sessionID)
	if err != nil {
		return nil, mapErr("ListSessionClients", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SessionClient, error) {
		var c store.SessionClient
		err := r.Scan(&c.ClientID, &c.FirstAt, &c.LastAt)
		c.FirstAt, c.LastAt = c.FirstAt.UTC(), c.LastAt.UTC()
		return c, err
	})
	return out, mapErr("ListSessionClients", err)
}

// ---- back-channel logout URIs ----

func (s *Store) SetBackchannelLogoutURI(ctx context.Context, tenantID, clientID, uri string) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		// Lock the client row so a concurrent DeleteClient cannot slip between.
		found, err := exists(ctx, tx, `SELECT 1 FROM clients WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, clientID)
		if err != nil {
			return err
		}
		if !found {
			return store.ErrNotFound
		}
		if uri == "" {
			_, err = tx.Exec(ctx, `DELETE FROM client_logout WHERE tenant_id = $1 AND client_id = $2`, tenantID, clientID)
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO client_logout (tenant_id, client_id, backchannel_logout_uri) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id, client_id) DO UPDATE SET backchannel_logout_uri = EXCLUDED.backchannel_logout_uri`, tenantID, clientID, uri)
		return err
	})
	return mapErr("SetBackchannelLogoutURI", err)
}

func (s *Store) BackchannelLogoutURI(ctx context.Context, tenantID, clientID string) (string, error) {
	var uri string
	err := s.pool.QueryRow(ctx, `SELECT backchannel_logout_uri FROM client_logout WHERE tenant_id = $1 AND client_id = $2`,
		tenantID, clientID).Scan(&uri)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return uri, mapErr("BackchannelLogoutURI", err)
}
