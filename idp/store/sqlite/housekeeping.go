package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// DeleteStaleRows removes rows past their use, in every tenant, in one
// transaction (sessions take their session_clients with them by cascade).
func (s *Store) DeleteStaleRows(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		c := micros(cutoff)
		for _, q := range []string{
			`DELETE FROM sessions WHERE (ended_at IS NOT NULL AND ended_at < ?1) OR expires_at < ?1 OR idle_expires_at < ?1`,
			`DELETE FROM action_tokens WHERE expires_at < ?1`,
			`DELETE FROM otp_challenges WHERE expires_at < ?1`,
			`DELETE FROM otp_sends WHERE sent_at < ?1`,
			`DELETE FROM factor_failures WHERE failed_at < ?1`,
		} {
			res, err := tx.ExecContext(ctx, q, c)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, mapErr("DeleteStaleRows", err)
	}
	return total, nil
}
