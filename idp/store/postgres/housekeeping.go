package postgres

import (
	"context"
	"time"
)

// DeleteStaleRows removes rows past their use, in every tenant, in one
// statement (sessions take their session_clients with them by cascade).
func (s *Store) DeleteStaleRows(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `WITH
		se AS (DELETE FROM sessions WHERE (ended_at IS NOT NULL AND ended_at < $1)
			OR expires_at < $1 OR idle_expires_at < $1 RETURNING 1),
		at AS (DELETE FROM action_tokens WHERE expires_at < $1 RETURNING 1),
		oc AS (DELETE FROM otp_challenges WHERE expires_at < $1 RETURNING 1),
		os AS (DELETE FROM otp_sends WHERE sent_at < $1 RETURNING 1),
		ff AS (DELETE FROM factor_failures WHERE failed_at < $1 RETURNING 1)
		SELECT (SELECT count(*) FROM se) + (SELECT count(*) FROM at) + (SELECT count(*) FROM oc)
			+ (SELECT count(*) FROM os) + (SELECT count(*) FROM ff)`, cutoff).Scan(&n)
	if err != nil {
		return 0, mapErr("DeleteStaleRows", err)
	}
	return n, nil
}
