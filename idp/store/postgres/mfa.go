package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// Second factors: factors, OTP challenges and sends, login states, factor
// failures, backup codes. Known devices and locations are in devices.go.

const factorCols = `tenant_id, id, user_id, kind, name, is_default, verified, secret_sealed, last_step,
	destination, credential_id, user_handle, sign_count, credential, created_at, last_used_at`

func scanFactor(r pgx.Row) (*store.Factor, error) {
	var f store.Factor
	var signCount int64
	err := r.Scan(&f.TenantID, &f.ID, &f.UserID, &f.Kind, &f.Name, &f.IsDefault, &f.Verified,
		&f.SecretSealed, &f.LastStep, &f.Destination, &f.CredentialID, &f.UserHandle,
		&signCount, &f.Credential, &f.CreatedAt, &f.LastUsedAt)
	if err != nil {
		return nil, err
	}
	f.SignCount = uint32(signCount)
	return &f, nil
}

func (s *Store) CreateFactor(ctx context.Context, f *store.Factor) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO factors (`+factorCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		f.TenantID, f.ID, f.UserID, f.Kind, f.Name, f.IsDefault, f.Verified, bytesOrNull(f.SecretSealed), f.LastStep,
		f.Destination, bytesOrNull(f.CredentialID), bytesOrNull(f.UserHandle), int64(f.SignCount), bytesOrNull(f.Credential),
		f.CreatedAt, f.LastUsedAt)
	return mapErr("CreateFactor", err)
}

func (s *Store) FactorByID(ctx context.Context, tenantID, userID, id string) (*store.Factor, error) {
	f, err := scanFactor(s.pool.QueryRow(ctx, `SELECT `+factorCols+` FROM factors
		WHERE tenant_id = $1 AND user_id = $2 AND id = $3`, tenantID, userID, id))
	return f, mapErr("FactorByID", err)
}

func (s *Store) queryFactors(ctx context.Context, op, where string, args ...any) ([]*store.Factor, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+factorCols+` FROM factors WHERE `+where+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []*store.Factor
	for rows.Next() {
		f, err := scanFactor(rows)
		if err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, f)
	}
	return out, mapErr(op, rows.Err())
}

func (s *Store) ListFactors(ctx context.Context, tenantID, userID string) ([]*store.Factor, error) {
	return s.queryFactors(ctx, "ListFactors", `tenant_id = $1 AND user_id = $2`, tenantID, userID)
}

func (s *Store) FactorsByUserHandle(ctx context.Context, tenantID string, handle []byte) ([]*store.Factor, error) {
	if len(handle) == 0 {
		return nil, nil
	}
	return s.queryFactors(ctx, "FactorsByUserHandle", `tenant_id = $1 AND user_handle = $2 AND kind = 'webauthn' AND verified`, tenantID, handle)
}

func (s *Store) UpdateFactor(ctx context.Context, f *store.Factor) error {
	res, err := s.pool.Exec(ctx, `UPDATE factors SET name = $1, destination = $2, verified = $3, secret_sealed = $4
		WHERE tenant_id = $5 AND user_id = $6 AND id = $7`,
		f.Name, f.Destination, f.Verified, bytesOrNull(f.SecretSealed), f.TenantID, f.UserID, f.ID)
	if err != nil {
		return mapErr("UpdateFactor", err)
	}
	return mapErr("UpdateFactor", mustAffect(res))
}

func (s *Store) SetDefaultFactor(ctx context.Context, tenantID, userID, id string) error {
	return mapErr("SetDefaultFactor", s.write(ctx, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM factors WHERE tenant_id = $1 AND user_id = $2 AND id = $3`,
			tenantID, userID, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		_, err := tx.Exec(ctx, `UPDATE factors SET is_default = (id = $1) WHERE tenant_id = $2 AND user_id = $3`, id, tenantID, userID)
		return err
	}))
}

func (s *Store) AdvanceTOTPStep(ctx context.Context, tenantID, id string, step int64, now time.Time) error {
	res, err := s.pool.Exec(ctx, `UPDATE factors SET last_step = $1, last_used_at = $2
		WHERE tenant_id = $3 AND id = $4 AND kind = 'totp' AND last_step < $5`, step, now, tenantID, id, step)
	if err != nil {
		return mapErr("AdvanceTOTPStep", err)
	}
	return s.usedOrMissing(ctx, "AdvanceTOTPStep", res, `SELECT 1 FROM factors WHERE tenant_id = $1 AND id = $2 AND kind = 'totp'`, tenantID, id)
}

func (s *Store) AdvanceSignCount(ctx context.Context, tenantID, id string, count uint32, credential []byte, now time.Time) error {
	res, err := s.pool.Exec(ctx, `UPDATE factors SET sign_count = $1, credential = $2, last_used_at = $3
		WHERE tenant_id = $4 AND id = $5 AND kind = 'webauthn' AND (sign_count < $6 OR (sign_count = 0 AND $7::bigint = 0))`,
		int64(count), credential, now, tenantID, id, int64(count), int64(count))
	if err != nil {
		return mapErr("AdvanceSignCount", err)
	}
	return s.usedOrMissing(ctx, "AdvanceSignCount", res, `SELECT 1 FROM factors WHERE tenant_id = $1 AND id = $2 AND kind = 'webauthn'`, tenantID, id)
}

// usedOrMissing turns "no row changed" into ErrAlreadyUsed when the row
// exists (probe finds it) and ErrNotFound when it does not.
func (s *Store) usedOrMissing(ctx context.Context, op string, tag pgconn.CommandTag, probe string, args ...any) error {
	if tag.RowsAffected() > 0 {
		return nil
	}
	var one int
	if err := s.pool.QueryRow(ctx, probe, args...).Scan(&one); err != nil {
		return mapErr(op, err)
	}
	return mapErr(op, store.ErrAlreadyUsed)
}

func (s *Store) DeleteFactor(ctx context.Context, tenantID, userID, id string) error {
	res, err := s.pool.Exec(ctx, `DELETE FROM factors WHERE tenant_id = $1 AND user_id = $2 AND id = $3`, tenantID, userID, id)
	if err != nil {
		return mapErr("DeleteFactor", err)
	}
	return mapErr("DeleteFactor", mustAffect(res))
}

func (s *Store) ResetSecondFactors(ctx context.Context, tenantID, userID string) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx pgx.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM factors WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
		if err != nil {
			return err
		}
		n = res.RowsAffected()
		for _, q := range []string{
			`DELETE FROM backup_code_sets WHERE tenant_id = $1 AND user_id = $2`,
			`UPDATE known_devices SET remember_until = NULL WHERE tenant_id = $1 AND user_id = $2`,
			`DELETE FROM login_states WHERE tenant_id = $1 AND user_id = $2`,
		} {
			if _, err := tx.Exec(ctx, q, tenantID, userID); err != nil {
				return err
			}
		}
		return nil
	})
	return n, mapErr("ResetSecondFactors", err)
}

// ---- OTP challenges ----

const otpCols = `tenant_id, id, user_id, factor_id, purpose, binding, destination, code_hash, attempts, created_at, expires_at, consumed_at`

func scanOTP(r pgx.Row) (*store.OTPChallenge, error) {
	var c store.OTPChallenge
	err := r.Scan(&c.TenantID, &c.ID, &c.UserID, &c.FactorID, &c.Purpose, &c.Binding, &c.Destination,
		&c.CodeHash, &c.Attempts, &c.CreatedAt, &c.ExpiresAt, &c.ConsumedAt)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

func (s *Store) CreateOTPChallenge(ctx context.Context, c *store.OTPChallenge) error {
	if len(c.CodeHash) == 0 {
		return errors.New("postgres: CreateOTPChallenge: empty hash")
	}
	return mapErr("CreateOTPChallenge", s.write(ctx, func(tx pgx.Tx) error {
		// Earlier codes of the same factor and binding stop working.
		if _, err := tx.Exec(ctx, `UPDATE otp_challenges SET consumed_at = $1
			WHERE tenant_id = $2 AND factor_id = $3 AND purpose = $4 AND binding = $5 AND consumed_at IS NULL`,
			c.CreatedAt, c.TenantID, c.FactorID, c.Purpose, c.Binding); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO otp_challenges (`+otpCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			c.TenantID, c.ID, c.UserID, c.FactorID, c.Purpose, c.Binding, c.Destination, c.CodeHash, c.Attempts,
			c.CreatedAt, c.ExpiresAt, c.ConsumedAt); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO otp_sends (tenant_id, user_id, destination, sent_at) VALUES ($1, $2, $3, $4)`,
			c.TenantID, c.UserID, c.Destination, c.CreatedAt)
		return err
	}))
}

func (s *Store) LatestOTPChallenge(ctx context.Context, tenantID, factorID, purpose, binding string) (*store.OTPChallenge, error) {
	c, err := scanOTP(s.pool.QueryRow(ctx, `SELECT `+otpCols+` FROM otp_challenges
		WHERE tenant_id = $1 AND factor_id = $2 AND purpose = $3 AND binding = $4 AND consumed_at IS NULL
		ORDER BY created_at DESC, id DESC LIMIT 1`, tenantID, factorID, purpose, binding))
	return c, mapErr("LatestOTPChallenge", err)
}

func (s *Store) CountOTPAttempt(ctx context.Context, tenantID, id string, max int) (int, error) {
	var after int
	err := s.pool.QueryRow(ctx, `UPDATE otp_challenges SET attempts = attempts + 1
		WHERE tenant_id = $1 AND id = $2 AND attempts < $3 AND consumed_at IS NULL RETURNING attempts`,
		tenantID, id, max).Scan(&after)
	if errors.Is(err, pgx.ErrNoRows) {
		var one int
		if err := s.pool.QueryRow(ctx, `SELECT 1 FROM otp_challenges WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&one); err != nil {
			return 0, mapErr("CountOTPAttempt", err)
		}
		return 0, mapErr("CountOTPAttempt", store.ErrAlreadyUsed)
	}
	if err != nil {
		return 0, mapErr("CountOTPAttempt", err)
	}
	return after - 1, nil
}

func (s *Store) ConsumeOTPChallenge(ctx context.Context, tenantID, id string, now time.Time) error {
	res, err := s.pool.Exec(ctx, `UPDATE otp_challenges SET consumed_at = $1 WHERE tenant_id = $2 AND id = $3 AND consumed_at IS NULL`,
		now, tenantID, id)
	if err != nil {
		return mapErr("ConsumeOTPChallenge", err)
	}
	return s.usedOrMissing(ctx, "ConsumeOTPChallenge", res, `SELECT 1 FROM otp_challenges WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}

func (s *Store) OTPSends(ctx context.Context, tenantID, userID, destination string, since time.Time) ([]time.Time, []time.Time, error) {
	q := func(where string, arg string) ([]time.Time, error) {
		rows, err := s.pool.Query(ctx, `SELECT sent_at FROM otp_sends WHERE tenant_id = $1 AND `+where+` AND sent_at >= $3 ORDER BY sent_at DESC`,
			tenantID, arg, since)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []time.Time
		for rows.Next() {
			var t time.Time
			if err := rows.Scan(&t); err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, rows.Err()
	}
	u, err := q("user_id = $2", userID)
	if err != nil {
		return nil, nil, mapErr("OTPSends", err)
	}
	d, err := q("destination = $2", destination)
	if err != nil {
		return nil, nil, mapErr("OTPSends", err)
	}
	return u, d, nil
}

// ---- login states ----

const loginStateCols = `tenant_id, auth_request_id, user_id, methods, step, reason, attempts, factor_id, ceremony, created_at, expires_at`

func scanLoginState(r pgx.Row) (*store.LoginState, error) {
	var l store.LoginState
	err := r.Scan(&l.TenantID, &l.AuthRequestID, &l.UserID, &l.Methods, &l.Step, &l.Reason, &l.Attempts,
		&l.FactorID, &l.Ceremony, &l.CreatedAt, &l.ExpiresAt)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

func (s *Store) PutLoginState(ctx context.Context, l *store.LoginState) error {
	return mapErr("PutLoginState", s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_states WHERE tenant_id = $1 AND auth_request_id = $2`, l.TenantID, l.AuthRequestID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO login_states (`+loginStateCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			l.TenantID, l.AuthRequestID, l.UserID, list(l.Methods), l.Step, l.Reason, l.Attempts, l.FactorID,
			bytesOrNull(l.Ceremony), l.CreatedAt, l.ExpiresAt)
		return err
	}))
}

func (s *Store) LoginState(ctx context.Context, tenantID, authRequestID string, now time.Time) (*store.LoginState, error) {
	l, err := scanLoginState(s.pool.QueryRow(ctx, `SELECT `+loginStateCols+` FROM login_states
		WHERE tenant_id = $1 AND auth_request_id = $2`, tenantID, authRequestID))
	if err != nil {
		return nil, mapErr("LoginState", err)
	}
	l.Methods = unlist(l.Methods)
	if !now.Before(l.ExpiresAt) {
		return nil, mapErr("LoginState", store.ErrExpired)
	}
	return l, nil
}

func (s *Store) AdvanceLoginState(ctx context.Context, l *store.LoginState, from string) error {
	res, err := s.pool.Exec(ctx, `UPDATE login_states SET step = $1, methods = $2, factor_id = $3, ceremony = $4
		WHERE tenant_id = $5 AND auth_request_id = $6 AND step = $7`,
		l.Step, list(l.Methods), l.FactorID, bytesOrNull(l.Ceremony), l.TenantID, l.AuthRequestID, from)
	if err != nil {
		return mapErr("AdvanceLoginState", err)
	}
	if res.RowsAffected() == 0 {
		return mapErr("AdvanceLoginState", store.ErrConflict)
	}
	return nil
}

func (s *Store) CountLoginAttempt(ctx context.Context, tenantID, authRequestID string, max int) (int, error) {
	var after int
	err := s.pool.QueryRow(ctx, `UPDATE login_states SET attempts = attempts + 1
		WHERE tenant_id = $1 AND auth_request_id = $2 AND attempts < $3 RETURNING attempts`, tenantID, authRequestID, max).Scan(&after)
	if errors.Is(err, pgx.ErrNoRows) {
		var one int
		if err := s.pool.QueryRow(ctx, `SELECT 1 FROM login_states WHERE tenant_id = $1 AND auth_request_id = $2`,
			tenantID, authRequestID).Scan(&one); err != nil {
			return 0, mapErr("CountLoginAttempt", err)
		}
		return max, mapErr("CountLoginAttempt", store.ErrAlreadyUsed)
	}
	return after, mapErr("CountLoginAttempt", err)
}

func (s *Store) DeleteLoginState(ctx context.Context, tenantID, authRequestID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM login_states WHERE tenant_id = $1 AND auth_request_id = $2`, tenantID, authRequestID)
	return mapErr("DeleteLoginState", err)
}

// ReserveFactorAttempt locks the user's row (FOR NO KEY UPDATE: it does not
// block foreign-key checks) so reservations of one user are serialised;
// each then counts with a fresh snapshot and inserts only below the limit.
func (s *Store) ReserveFactorAttempt(ctx context.Context, tenantID, userID string, at, since time.Time, limit int) (int, error) {
	var n int
	err := s.write(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`, tenantID, userID).Scan(&one); err != nil {
			return err
		}
		// Old failures no longer count; drop them as we go.
		if _, err := tx.Exec(ctx, `DELETE FROM factor_failures WHERE tenant_id = $1 AND user_id = $2 AND failed_at < $3`,
			tenantID, userID, since); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO factor_failures (tenant_id, user_id, failed_at)
			SELECT $1, $2, $3 WHERE (SELECT count(*) FROM factor_failures
				WHERE tenant_id = $1 AND user_id = $2 AND failed_at >= $4) < $5`,
			tenantID, userID, at, since, limit)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrAlreadyUsed
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM factor_failures WHERE tenant_id = $1 AND user_id = $2 AND failed_at >= $3`,
			tenantID, userID, since).Scan(&n)
	})
	return n, mapErr("ReserveFactorAttempt", err)
}

func (s *Store) RefundFactorAttempt(ctx context.Context, tenantID, userID string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM factor_failures WHERE ctid = (SELECT ctid FROM factor_failures
		WHERE tenant_id = $1 AND user_id = $2 AND failed_at = $3 LIMIT 1)`, tenantID, userID, at)
	return mapErr("RefundFactorAttempt", err)
}

func (s *Store) FactorFailures(ctx context.Context, tenantID, userID string, since time.Time) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM factor_failures WHERE tenant_id = $1 AND user_id = $2 AND failed_at >= $3`,
		tenantID, userID, since).Scan(&n)
	return n, mapErr("FactorFailures", err)
}

// ---- backup codes ----

func (s *Store) ReplaceBackupCodes(ctx context.Context, set *store.BackupCodeSet) error {
	return mapErr("ReplaceBackupCodes", s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM backup_code_sets WHERE tenant_id = $1 AND user_id = $2`, set.TenantID, set.UserID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO backup_code_sets (tenant_id, id, user_id, created_at, acknowledged_at, sealed_codes) VALUES ($1, $2, $3, $4, $5, $6)`,
			set.TenantID, set.ID, set.UserID, set.CreatedAt, set.AcknowledgedAt, bytesOrNull(set.SealedCodes)); err != nil {
			return err
		}
		for _, c := range set.Codes {
			if _, err := tx.Exec(ctx, `INSERT INTO backup_codes (tenant_id, set_id, user_id, idx, code_hash, used_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				set.TenantID, set.ID, set.UserID, c.Index, c.Hash, c.UsedAt); err != nil {
				return err
			}
		}
		return nil
	}))
}

func (s *Store) BackupCodeSet(ctx context.Context, tenantID, userID string) (*store.BackupCodeSet, error) {
	var set store.BackupCodeSet
	err := s.pool.QueryRow(ctx, `SELECT tenant_id, id, user_id, created_at, acknowledged_at, sealed_codes FROM backup_code_sets
		WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID).Scan(&set.TenantID, &set.ID, &set.UserID,
		&set.CreatedAt, &set.AcknowledgedAt, &set.SealedCodes)
	if err != nil {
		return nil, mapErr("BackupCodeSet", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT idx, code_hash, used_at FROM backup_codes WHERE tenant_id = $1 AND set_id = $2 ORDER BY idx`,
		tenantID, set.ID)
	if err != nil {
		return nil, mapErr("BackupCodeSet", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c store.BackupCode
		if err := rows.Scan(&c.Index, &c.Hash, &c.UsedAt); err != nil {
			return nil, mapErr("BackupCodeSet", err)
		}
		set.Codes = append(set.Codes, c)
	}
	return &set, mapErr("BackupCodeSet", rows.Err())
}

func (s *Store) UseBackupCode(ctx context.Context, tenantID, userID string, hash []byte, now time.Time) error {
	res, err := s.pool.Exec(ctx, `UPDATE backup_codes SET used_at = $1
		WHERE tenant_id = $2 AND user_id = $3 AND code_hash = $4 AND used_at IS NULL`, now, tenantID, userID, hash)
	if err != nil {
		return mapErr("UseBackupCode", err)
	}
	return mapErr("UseBackupCode", mustAffect(res))
}

func (s *Store) AcknowledgeBackupCodes(ctx context.Context, tenantID, userID, setID string, now time.Time) error {
	res, err := s.pool.Exec(ctx, `UPDATE backup_code_sets SET acknowledged_at = coalesce(acknowledged_at, $1::timestamptz), sealed_codes = NULL
		WHERE tenant_id = $2 AND user_id = $3 AND id = $4`, now, tenantID, userID, setID)
	if err != nil {
		return mapErr("AcknowledgeBackupCodes", err)
	}
	return mapErr("AcknowledgeBackupCodes", mustAffect(res))
}
