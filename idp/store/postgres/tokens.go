package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// familyRevocationGrace keeps a family revocation this long after the
// family's last refresh token expires: access tokens issued with that token
// may outlive it by their own lifetime (minutes).
const familyRevocationGrace = 24 * time.Hour

const refreshCols = `tenant_id, id, hash, family_id, client_id, user_id, session_id, scopes, amr, acr,
	auth_time, created_at, expires_at, used_at, revoked_at`

func scanRefresh(r pgx.Row) (*store.RefreshToken, error) {
	var t store.RefreshToken
	err := r.Scan(&t.TenantID, &t.ID, &t.Hash, &t.FamilyID, &t.ClientID, &t.UserID, &t.SessionID, &t.Scopes,
		&t.AMR, &t.ACR, &t.AuthTime, &t.CreatedAt, &t.ExpiresAt, &t.UsedAt, &t.RevokedAt)
	if err != nil {
		return nil, err
	}
	t.Scopes, t.AMR = unlist(t.Scopes), unlist(t.AMR)
	return &t, nil
}

// CreateRefreshToken inserts t, filling an empty ID or FamilyID (a new family).
func (s *Store) CreateRefreshToken(ctx context.Context, t *store.RefreshToken) error {
	if len(t.Hash) == 0 {
		return errors.New("postgres: CreateRefreshToken: empty hash")
	}
	if t.ID == "" {
		t.ID = store.NewID()
	}
	if t.FamilyID == "" {
		t.FamilyID = store.NewID()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO refresh_tokens (`+refreshCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		t.TenantID, t.ID, t.Hash, t.FamilyID, t.ClientID, t.UserID, t.SessionID, list(t.Scopes), list(t.AMR),
		t.ACR, t.AuthTime, t.CreatedAt, t.ExpiresAt, t.UsedAt, t.RevokedAt)
	return mapErr("CreateRefreshToken", err)
}

func (s *Store) RefreshTokenByHash(ctx context.Context, tenantID string, hash []byte) (*store.RefreshToken, error) {
	t, err := scanRefresh(s.pool.QueryRow(ctx,
		`SELECT `+refreshCols+` FROM refresh_tokens WHERE tenant_id = $1 AND hash = $2`, tenantID, hash))
	return t, mapErr("RefreshTokenByHash", err)
}

// rotateSQL consumes the old token and inserts the next one in one statement
// (one round trip, atomic without an explicit transaction). The old token
// must be unused, unrevoked, unexpired, of a family not recorded as revoked,
// and its session (if any) active; the session row is share-locked so that a
// concurrent EndSession is ordered before or after the whole rotation.
const rotateSQL = `WITH old AS (
	UPDATE refresh_tokens SET used_at = $3
	WHERE tenant_id = $1 AND hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3
	AND NOT EXISTS (SELECT 1 FROM revocations r
		WHERE r.tenant_id = $1 AND r.kind = 'family' AND r.key = refresh_tokens.family_id)
	AND (session_id = '' OR EXISTS (SELECT 1 FROM sessions s
		WHERE s.tenant_id = $1 AND s.id = refresh_tokens.session_id
		AND s.ended_at IS NULL AND s.expires_at > $3 AND s.idle_expires_at > $3
		FOR SHARE))
	RETURNING family_id
)
INSERT INTO refresh_tokens (tenant_id, id, hash, family_id, client_id, user_id, session_id, scopes, amr, acr,
	auth_time, created_at, expires_at)
SELECT $1, $4::text, $5::bytea, family_id, $6::text, $7::text, $8::text, $9::text[], $10::text[], $11::text,
	$12::timestamptz, $13::timestamptz, $14::timestamptz
FROM old
RETURNING family_id`

// RotateRefreshToken consumes old and stores next in old's family atomically.
// next.TenantID and next.FamilyID are set from the old token. Reuse of a used
// or revoked token (or one of a revoked family) revokes the family and
// returns ErrAlreadyUsed.
func (s *Store) RotateRefreshToken(ctx context.Context, tenantID string, oldHash []byte, next *store.RefreshToken, now time.Time) error {
	if next.TenantID != "" && next.TenantID != tenantID {
		return errors.New("postgres: RotateRefreshToken: next token belongs to another tenant")
	}
	if len(next.Hash) == 0 {
		return errors.New("postgres: RotateRefreshToken: empty hash")
	}
	id := next.ID
	if id == "" {
		id = store.NewID()
	}
	var family string
	err := s.pool.QueryRow(ctx, rotateSQL, tenantID, oldHash, now, id, next.Hash, next.ClientID, next.UserID,
		next.SessionID, list(next.Scopes), list(next.AMR), next.ACR, next.AuthTime, next.CreatedAt, next.ExpiresAt).
		Scan(&family)
	if err == nil {
		next.TenantID, next.ID, next.FamilyID = tenantID, id, family
		return nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return mapErr("RotateRefreshToken", err)
	}

	// Not consumed: find out why, in a new statement that sees whatever a
	// racing rotation committed.
	var spent bool
	err = s.pool.QueryRow(ctx, `SELECT family_id, used_at IS NOT NULL OR revoked_at IS NOT NULL
			OR EXISTS (SELECT 1 FROM revocations r
				WHERE r.tenant_id = $1 AND r.kind = 'family' AND r.key = t.family_id)
		FROM refresh_tokens t WHERE tenant_id = $1 AND hash = $2`, tenantID, oldHash).Scan(&family, &spent)
	switch {
	case err != nil: // pgx.ErrNoRows: not found
	case spent:
		// Reuse: revoke the whole family.
		_, err = revokeFamiliesBy(ctx, s.pool, byFamily, tenantID, family, now, true)
		if err == nil {
			err = store.ErrAlreadyUsed
		}
	default:
		// The token or its session expired (or the session ended).
		err = store.ErrExpired
	}
	return mapErr("RotateRefreshToken", err)
}

// RevokeRefreshFamily revokes every token of the family and records the
// family as revoked; ErrNotFound when the tenant has no token of it.
func (s *Store) RevokeRefreshFamily(ctx context.Context, tenantID, familyID string, now time.Time) error {
	n, err := revokeFamiliesBy(ctx, s.pool, byFamily, tenantID, familyID, now, true)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return mapErr("RevokeRefreshFamily", err)
}

// RevokeAccessToken records the revocation of one access token until
// expiresAt (a later expiry wins when revoked twice).
func (s *Store) RevokeAccessToken(ctx context.Context, tenantID, tokenID string, expiresAt time.Time) error {
	if tokenID == "" {
		return errors.New("postgres: RevokeAccessToken: empty token id")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO revocations (tenant_id, kind, key, expires_at)
		VALUES ($1, 'access', $2, $3)
		ON CONFLICT (tenant_id, kind, key)
		DO UPDATE SET expires_at = GREATEST(revocations.expires_at, EXCLUDED.expires_at)`,
		tenantID, tokenID, expiresAt)
	return mapErr("RevokeAccessToken", err)
}

// AccessTokenActive checks the token's and family's revocations and the
// session in one statement (primary-key probes only).
func (s *Store) AccessTokenActive(ctx context.Context, tenantID string, ref store.AccessTokenRef, now time.Time) (bool, error) {
	var active bool
	err := s.pool.QueryRow(ctx, `SELECT
		NOT EXISTS (SELECT 1 FROM revocations WHERE tenant_id = $1
			AND ((kind = 'access' AND key = $2) OR (kind = 'family' AND key = $3 AND $3 <> '')))
		AND ($4::text = '' OR EXISTS (SELECT 1 FROM sessions WHERE tenant_id = $1 AND id = $4
			AND ended_at IS NULL AND expires_at > $5 AND idle_expires_at > $5))`,
		tenantID, ref.TokenID, ref.FamilyID, ref.SessionID, now).Scan(&active)
	return active, mapErr("AccessTokenActive", err)
}

// DeleteExpiredTokens removes refresh tokens and revocation records that
// expired before cutoff, in every tenant, in one statement.
func (s *Store) DeleteExpiredTokens(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `WITH
		rt AS (DELETE FROM refresh_tokens WHERE expires_at < $1 RETURNING 1),
		rv AS (DELETE FROM revocations WHERE expires_at < $1 RETURNING 1)
		SELECT (SELECT count(*) FROM rt) + (SELECT count(*) FROM rv)`, cutoff).Scan(&n)
	if err != nil {
		return 0, mapErr("DeleteExpiredTokens", err)
	}
	return n, nil
}

// Which refresh tokens' families revokeFamiliesBy revokes: the column it
// matches the key against.
type familySelector string

const (
	byFamily  familySelector = "family_id"
	bySession familySelector = "session_id"
	byClient  familySelector = "client_id"
)

// revokeFamiliesSQL is revokeFamiliesBy's statement. {col} stands for the
// selector's column name (a constant); every value is a parameter.
const revokeFamiliesSQL = `WITH fams AS (
	SELECT family_id, GREATEST(MAX(expires_at), $3) + $4::interval AS until
	FROM refresh_tokens WHERE tenant_id = $1 AND {col} = $2
	GROUP BY family_id
), rec AS (
	INSERT INTO revocations (tenant_id, kind, key, expires_at)
	SELECT $1, 'family', family_id, until FROM fams
	ON CONFLICT (tenant_id, kind, key)
	DO UPDATE SET expires_at = GREATEST(revocations.expires_at, EXCLUDED.expires_at)
), mark AS (
	UPDATE refresh_tokens SET revoked_at = $3
	WHERE tenant_id = $1 AND {col} = $2 AND revoked_at IS NULL AND $5::boolean
)
SELECT count(*) FROM fams`

// revokeFamiliesBy records as revoked every family with a token whose sel
// column equals key, kept until the family's last token expiry (or now, if
// later) plus familyRevocationGrace, and, if mark, sets RevokedAt = now on
// their tokens not revoked yet (a family shares one session and client, so
// matching the column again finds all of them). It returns how many families
// it recorded.
func revokeFamiliesBy(ctx context.Context, q querier, sel familySelector, tenantID, key string, now time.Time, mark bool) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, strings.ReplaceAll(revokeFamiliesSQL, "{col}", string(sel)),
		tenantID, key, now, familyRevocationGrace, mark).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("revoke families: %w", err)
	}
	return n, nil
}
