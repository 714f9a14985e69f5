package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// familyRevocationGrace keeps a family revocation this long after the
// family's last refresh token expires: access tokens issued with that token
// may outlive it by their own lifetime (minutes).
const familyRevocationGrace = 24 * time.Hour

const refreshCols = `tenant_id, id, hash, family_id, client_id, user_id, session_id, scopes, amr, acr,
	auth_time, created_at, expires_at, used_at, revoked_at`

func scanRefresh(r rowScanner) (*store.RefreshToken, error) {
	var t store.RefreshToken
	err := r.Scan(&t.TenantID, &t.ID, bytesCol{&t.Hash}, &t.FamilyID, &t.ClientID, &t.UserID, &t.SessionID,
		listCol{&t.Scopes}, listCol{&t.AMR}, &t.ACR, timeCol{&t.AuthTime}, timeCol{&t.CreatedAt},
		timeCol{&t.ExpiresAt}, timePtrCol{&t.UsedAt}, timePtrCol{&t.RevokedAt})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func insertRefresh(ctx context.Context, x interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, t *store.RefreshToken) error {
	_, err := x.ExecContext(ctx, `INSERT INTO refresh_tokens (`+refreshCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.TenantID, t.ID, t.Hash, t.FamilyID, t.ClientID, t.UserID, t.SessionID, listJSON(t.Scopes),
		listJSON(t.AMR), t.ACR, micros(t.AuthTime), micros(t.CreatedAt), micros(t.ExpiresAt),
		microsPtr(t.UsedAt), microsPtr(t.RevokedAt))
	return err
}

// CreateRefreshToken inserts t, filling an empty ID or FamilyID (a new family).
func (s *Store) CreateRefreshToken(ctx context.Context, t *store.RefreshToken) error {
	if len(t.Hash) == 0 {
		return errors.New("sqlite: CreateRefreshToken: empty hash")
	}
	if t.ID == "" {
		t.ID = store.NewID()
	}
	if t.FamilyID == "" {
		t.FamilyID = store.NewID()
	}
	return mapErr("CreateRefreshToken", insertRefresh(ctx, s.w, t))
}

func (s *Store) RefreshTokenByHash(ctx context.Context, tenantID string, hash []byte) (*store.RefreshToken, error) {
	t, err := scanRefresh(s.r.QueryRowContext(ctx,
		`SELECT `+refreshCols+` FROM refresh_tokens WHERE tenant_id = ? AND hash = ?`, tenantID, hash))
	return t, mapErr("RefreshTokenByHash", err)
}

// RotateRefreshToken consumes old and stores next in old's family, in one
// BEGIN IMMEDIATE transaction. next.TenantID and next.FamilyID are set from
// the old token. Reuse of a used or revoked token, or of one whose family is
// recorded as revoked, revokes the family (that revocation is committed) and
// returns ErrAlreadyUsed.
func (s *Store) RotateRefreshToken(ctx context.Context, tenantID string, oldHash []byte, next *store.RefreshToken, now time.Time) error {
	if next.TenantID != "" && next.TenantID != tenantID {
		return errors.New("sqlite: RotateRefreshToken: next token belongs to another tenant")
	}
	if len(next.Hash) == 0 {
		return errors.New("sqlite: RotateRefreshToken: empty hash")
	}
	n := *next
	n.TenantID = tenantID
	if n.ID == "" {
		n.ID = store.NewID()
	}
	var outcome error
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE refresh_tokens SET used_at = ?1
			WHERE tenant_id = ?2 AND hash = ?3 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?1
			AND NOT EXISTS (SELECT 1 FROM revocations r
				WHERE r.tenant_id = ?2 AND r.kind = 'family' AND r.key = refresh_tokens.family_id)
			AND (session_id = '' OR EXISTS (
				SELECT 1 FROM sessions s
				WHERE s.tenant_id = refresh_tokens.tenant_id AND s.id = refresh_tokens.session_id
				AND s.ended_at IS NULL AND s.expires_at > ?1 AND s.idle_expires_at > ?1))
			RETURNING family_id`,
			micros(now), tenantID, oldHash).Scan(&n.FamilyID)
		if err == nil {
			return insertRefresh(ctx, tx, &n)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Not consumed: find out why.
		var family string
		var spent bool
		err = tx.QueryRowContext(ctx, `SELECT family_id, used_at IS NOT NULL OR revoked_at IS NOT NULL
				OR EXISTS (SELECT 1 FROM revocations r
					WHERE r.tenant_id = ?1 AND r.kind = 'family' AND r.key = t.family_id)
			FROM refresh_tokens t WHERE tenant_id = ?1 AND hash = ?2`, tenantID, oldHash).Scan(&family, &spent)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			outcome = store.ErrNotFound
			return nil
		case err != nil:
			return err
		case spent:
			// Reuse: revoke the whole family and commit that.
			outcome = store.ErrAlreadyUsed
			_, err = revokeFamiliesBy(ctx, tx, byFamily, tenantID, family, now, true)
			return err
		default:
			// The token or its session expired (or the session ended).
			outcome = store.ErrExpired
			return nil
		}
	})
	if err == nil && outcome == nil {
		next.TenantID, next.ID, next.FamilyID = n.TenantID, n.ID, n.FamilyID
	}
	if err == nil {
		err = outcome
	}
	return mapErr("RotateRefreshToken", err)
}

// RevokeRefreshFamily revokes every token of the family and records the
// family as revoked; ErrNotFound when the tenant has no token of it.
func (s *Store) RevokeRefreshFamily(ctx context.Context, tenantID, familyID string, now time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		n, err := revokeFamiliesBy(ctx, tx, byFamily, tenantID, familyID, now, true)
		if err == nil && n == 0 {
			err = store.ErrNotFound
		}
		return err
	})
	return mapErr("RevokeRefreshFamily", err)
}

// RevokeAccessToken records the revocation of one access token until
// expiresAt (a later expiry wins when revoked twice).
func (s *Store) RevokeAccessToken(ctx context.Context, tenantID, tokenID string, expiresAt time.Time) error {
	if tokenID == "" {
		return errors.New("sqlite: RevokeAccessToken: empty token id")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO revocations (tenant_id, kind, key, expires_at)
		VALUES (?, 'access', ?, ?)
		ON CONFLICT (tenant_id, kind, key) DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)`,
		tenantID, tokenID, micros(expiresAt))
	return mapErr("RevokeAccessToken", err)
}

// AccessTokenActive checks the token's and family's revocations and the
// session in one query.
func (s *Store) AccessTokenActive(ctx context.Context, tenantID string, ref store.AccessTokenRef, now time.Time) (bool, error) {
	var active bool
	err := s.r.QueryRowContext(ctx, `SELECT
		NOT EXISTS (SELECT 1 FROM revocations WHERE tenant_id = ?1
			AND ((kind = 'access' AND key = ?2) OR (kind = 'family' AND key = ?3 AND ?3 <> '')))
		AND (?4 = '' OR EXISTS (SELECT 1 FROM sessions WHERE tenant_id = ?1 AND id = ?4
			AND ended_at IS NULL AND expires_at > ?5 AND idle_expires_at > ?5))`,
		tenantID, ref.TokenID, ref.FamilyID, ref.SessionID, micros(now)).Scan(&active)
	return active, mapErr("AccessTokenActive", err)
}

// DeleteExpiredTokens removes refresh tokens and revocation records that
// expired before cutoff, in every tenant.
func (s *Store) DeleteExpiredTokens(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM refresh_tokens WHERE expires_at < ?`,
			`DELETE FROM revocations WHERE expires_at < ?`,
		} {
			res, err := tx.ExecContext(ctx, q, micros(cutoff))
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
		return 0, mapErr("DeleteExpiredTokens", err)
	}
	return total, nil
}

// Which refresh tokens' families revokeFamiliesBy revokes: the column it
// matches the key against.
type familySelector string

const (
	byFamily  familySelector = "family_id"
	bySession familySelector = "session_id"
	byClient  familySelector = "client_id"
)

// The statements of revokeFamiliesBy. {col} stands for the selector's
// column name (a constant); every value is a parameter.
const (
	recordFamiliesSQL = `INSERT INTO revocations (tenant_id, kind, key, expires_at)
		SELECT ?1, 'family', family_id, MAX(MAX(expires_at), ?3) + ?4
		FROM refresh_tokens WHERE tenant_id = ?1 AND {col} = ?2
		GROUP BY family_id
		ON CONFLICT (tenant_id, kind, key) DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)`
	markFamiliesSQL = `UPDATE refresh_tokens SET revoked_at = ?3
		WHERE tenant_id = ?1 AND {col} = ?2 AND revoked_at IS NULL`
)

// revokeFamiliesBy records as revoked every family with a token whose sel
// column equals key, kept until the family's last token expiry (or now, if
// later) plus familyRevocationGrace, and, if mark, sets RevokedAt = now on
// their tokens not revoked yet (a family shares one session and client, so
// matching the column again finds all of them). It returns how many families it recorded.
func revokeFamiliesBy(ctx context.Context, tx *sql.Tx, sel familySelector, tenantID, key string, now time.Time, mark bool) (int64, error) {
	res, err := tx.ExecContext(ctx, strings.ReplaceAll(recordFamiliesSQL, "{col}", string(sel)), tenantID, key, micros(now), familyRevocationGrace.Microseconds())
	if err != nil {
		return 0, fmt.Errorf("record revoked families: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 || !mark {
		return n, err
	}
	if _, err := tx.ExecContext(ctx, strings.ReplaceAll(markFamiliesSQL, "{col}", string(sel)), tenantID, key, micros(now)); err != nil {
		return 0, fmt.Errorf("revoke family tokens: %w", err)
	}
	return n, nil
}
