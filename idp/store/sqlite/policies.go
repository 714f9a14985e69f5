package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// ---- brute-force counters ----

// countFailure is the upsert of one failure: the counter restarts when it
// was quiet (last failure at or before ?4), otherwise it grows by one.
// %s is the condition under which an existing counter takes it ("" for
// always); without the condition the upsert returns no row.
const countFailure = `INSERT INTO login_failures (tenant_id, key, failures, first_failure_at, last_failure_at)
		VALUES (?1, ?2, 1, ?3, ?3)
		ON CONFLICT (tenant_id, key) DO UPDATE SET
			failures = CASE WHEN login_failures.last_failure_at <= ?4 THEN 1 ELSE login_failures.failures + 1 END,
			first_failure_at = CASE WHEN login_failures.last_failure_at <= ?4 THEN ?3 ELSE login_failures.first_failure_at END,
			last_failure_at = MAX(login_failures.last_failure_at, ?3)
		%s
		RETURNING failures, first_failure_at, last_failure_at`

// admits is countFailure's condition for a reservation: the counter is
// quiet, or the wait its count owes (?5, a JSON array of microseconds,
// indexed by the count capped at ?6) is zero or has passed since the last
// failure.
const admits = `WHERE login_failures.last_failure_at <= ?4
			OR json_extract(?5, '$[' || MIN(login_failures.failures, ?6) || ']') = 0
			OR login_failures.last_failure_at + json_extract(?5, '$[' || MIN(login_failures.failures, ?6) || ']') <= ?3`

var (
	recordFailureSQL  = fmt.Sprintf(countFailure, "")
	reserveAttemptSQL = fmt.Sprintf(countFailure, admits)
)

func scanCounter(row *sql.Row, key string) (store.LoginCounter, error) {
	c := store.LoginCounter{Key: key}
	err := row.Scan(&c.Failures, timeCol{&c.FirstFailureAt}, timeCol{&c.LastFailureAt})
	return c, err
}

// RecordLoginFailure is one upsert. The single writer connection and the
// statement's atomicity make concurrent failures add up exactly.
func (s *Store) RecordLoginFailure(ctx context.Context, tenantID, key string, now time.Time, quiet time.Duration) (store.LoginCounter, error) {
	c, err := scanCounter(s.w.QueryRowContext(ctx, recordFailureSQL, tenantID, key, micros(now), micros(now.Add(-quiet))), key)
	return c, mapErr("RecordLoginFailure", err)
}

// ReserveLoginAttempt runs the conditional upsert per key on the single
// writer connection inside one transaction; a key that refuses (no row
// returned) and every key after it take the unconditional one.
func (s *Store) ReserveLoginAttempt(ctx context.Context, tenantID string, rules []store.AttemptRule, now time.Time, quiet time.Duration) (bool, []store.LoginCounter, error) {
	reserved := true
	var out []store.LoginCounter
	err := s.write(ctx, func(tx *sql.Tx) error {
		reserved, out = true, make([]store.LoginCounter, 0, len(rules))
		for _, r := range rules {
			var c store.LoginCounter
			err := sql.ErrNoRows
			if reserved {
				waits, last := r.WaitMicros()
				js, _ := json.Marshal(waits)
				c, err = scanCounter(tx.QueryRowContext(ctx, reserveAttemptSQL, tenantID, r.Key, micros(now), micros(now.Add(-quiet)), string(js), last), r.Key)
			}
			if errors.Is(err, sql.ErrNoRows) {
				reserved = false
				c, err = scanCounter(tx.QueryRowContext(ctx, recordFailureSQL, tenantID, r.Key, micros(now), micros(now.Add(-quiet))), r.Key)
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
	_, err := s.w.ExecContext(ctx, `UPDATE login_failures SET failures = failures - 1
		WHERE tenant_id = ? AND key = ? AND failures > 0`, tenantID, key)
	return mapErr("RefundLoginAttempt", err)
}

func (s *Store) LoginCounterByKey(ctx context.Context, tenantID, key string) (store.LoginCounter, error) {
	c := store.LoginCounter{Key: key}
	err := s.r.QueryRowContext(ctx, `SELECT failures, first_failure_at, last_failure_at FROM login_failures
		WHERE tenant_id = ? AND key = ?`, tenantID, key).Scan(&c.Failures, timeCol{&c.FirstFailureAt}, timeCol{&c.LastFailureAt})
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	return c, mapErr("LoginCounterByKey", err)
}

func (s *Store) ClearLoginFailures(ctx context.Context, tenantID string, keys ...string) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	args := []any{tenantID}
	for _, k := range keys {
		args = append(args, k)
	}
	res, err := s.w.ExecContext(ctx, `DELETE FROM login_failures WHERE tenant_id = ? AND key IN (?`+
		strings.Repeat(", ?", len(keys)-1)+`)`, args...)
	if err != nil {
		return 0, mapErr("ClearLoginFailures", err)
	}
	n, err := res.RowsAffected()
	return n, mapErr("ClearLoginFailures", err)
}

func (s *Store) DeleteStaleLoginFailures(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM login_failures WHERE last_failure_at < ?`, micros(cutoff))
	if err != nil {
		return 0, mapErr("DeleteStaleLoginFailures", err)
	}
	n, err := res.RowsAffected()
	return n, mapErr("DeleteStaleLoginFailures", err)
}

// ---- password history ----

func (s *Store) AddPasswordHistory(ctx context.Context, tenantID, userID, hash string, at time.Time, keep int) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if keep > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO password_history (tenant_id, user_id, id, hash, created_at)
				VALUES (?, ?, ?, ?, ?)`, tenantID, userID, store.NewID(), hash, micros(at)); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM password_history WHERE tenant_id = ?1 AND user_id = ?2 AND id NOT IN (
			SELECT id FROM password_history WHERE tenant_id = ?1 AND user_id = ?2
			ORDER BY created_at DESC, id DESC LIMIT ?3)`, tenantID, userID, max(keep, 0))
		return err
	})
	return mapErr("AddPasswordHistory", err)
}

func (s *Store) ListPasswordHistory(ctx context.Context, tenantID, userID string, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT hash FROM password_history WHERE tenant_id = ? AND user_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, tenantID, userID, limit)
	if err != nil {
		return nil, mapErr("ListPasswordHistory", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, mapErr("ListPasswordHistory", err)
		}
		out = append(out, h)
	}
	return out, mapErr("ListPasswordHistory", rows.Err())
}

// ---- session clients ----

func (s *Store) RecordSessionClient(ctx context.Context, tenantID, sessionID, clientID string, now time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO session_clients (tenant_id, session_id, client_id, first_at, last_at)
		VALUES (?1, ?2, ?3, ?4, ?4)
		ON CONFLICT (tenant_id, session_id, client_id) DO UPDATE SET last_at = MAX(session_clients.last_at, ?4)`,
		tenantID, sessionID, clientID, micros(now))
	return mapErr("RecordSessionClient", err)
}

func (s *Store) ListSessionClients(ctx context.Context, tenantID, sessionID string) ([]store.SessionClient, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT client_id, first_at, last_at FROM session_clients
		WHERE tenant_id = ? AND session_id = ? ORDER BY first_at, client_id`, tenantID, sessionID)
	if err != nil {
		return nil, mapErr("ListSessionClients", err)
	}
	defer rows.Close()
	var out []store.SessionClient
	for rows.Next() {
		var c store.SessionClient
		if err := rows.Scan(&c.ClientID, timeCol{&c.FirstAt}, timeCol{&c.LastAt}); err != nil {
			return nil, mapErr("ListSessionClients", err)
		}
		out = append(out, c)
	}
	return out, mapErr("ListSessionClients", rows.Err())
}

// ---- back-channel logout URIs ----

func (s *Store) SetBackchannelLogoutURI(ctx context.Context, tenantID, clientID, uri string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		found, err := exists(ctx, tx, `SELECT 1 FROM clients WHERE tenant_id = ? AND id = ?`, tenantID, clientID)
		if err != nil {
			return err
		}
		if !found {
			return store.ErrNotFound
		}
		if uri == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM client_logout WHERE tenant_id = ? AND client_id = ?`, tenantID, clientID)
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO client_logout (tenant_id, client_id, backchannel_logout_uri) VALUES (?1, ?2, ?3)
			ON CONFLICT (tenant_id, client_id) DO UPDATE SET backchannel_logout_uri = ?3`, tenantID, clientID, uri)
		return err
	})
	return mapErr("SetBackchannelLogoutURI", err)
}

func (s *Store) BackchannelLogoutURI(ctx context.Context, tenantID, clientID string) (string, error) {
	var uri string
	err := s.r.QueryRowContext(ctx, `SELECT backchannel_logout_uri FROM client_logout WHERE tenant_id = ? AND client_id = ?`,
		tenantID, clientID).Scan(&uri)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return uri, mapErr("BackchannelLogoutURI", err)
}
