package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const authRequestCols = `tenant_id, id, client_id, redirect_uri, scopes, state, nonce, response_type,
	response_mode, code_challenge, code_challenge_method, prompt, max_age, login_hint, hint_user_id,
	acr_values, user_id, session_id, auth_time, amr, acr, done, code_hash, code_used_at,
	issued_access_token_id, issued_family_id, created_at, expires_at, browser_binding`

func scanAuthRequest(r pgx.Row) (*store.AuthRequest, error) {
	var a store.AuthRequest
	var authTime *time.Time
	err := r.Scan(&a.TenantID, &a.ID, &a.ClientID, &a.RedirectURI, &a.Scopes, &a.State, &a.Nonce,
		&a.ResponseType, &a.ResponseMode, &a.CodeChallenge, &a.CodeChallengeMethod, &a.Prompt,
		&a.MaxAge, &a.LoginHint, &a.HintUserID, &a.ACRValues, &a.UserID, &a.SessionID,
		&authTime, &a.AMR, &a.ACR, &a.Done, &a.CodeHash, &a.CodeUsedAt,
		&a.IssuedAccessTokenID, &a.IssuedFamilyID, &a.CreatedAt, &a.ExpiresAt, &a.BrowserBinding)
	if err != nil {
		return nil, err
	}
	a.AuthTime = deref(authTime)
	a.Scopes, a.Prompt, a.ACRValues, a.AMR = unlist(a.Scopes), unlist(a.Prompt), unlist(a.ACRValues), unlist(a.AMR)
	a.CodeHash = bytesOrNull(a.CodeHash)
	return &a, nil
}

// CreateAuthRequest inserts r, filling an empty ID.
func (s *Store) CreateAuthRequest(ctx context.Context, r *store.AuthRequest) error {
	if len(r.BrowserBinding) == 0 {
		return errors.New("postgres: CreateAuthRequest: no browser binding")
	}
	if r.ID == "" {
		r.ID = store.NewID()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO auth_requests (`+authRequestCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
			$21, $22, $23, $24, $25, $26, $27, $28, $29)`,
		r.TenantID, r.ID, r.ClientID, r.RedirectURI, list(r.Scopes), r.State, r.Nonce, r.ResponseType,
		r.ResponseMode, r.CodeChallenge, r.CodeChallengeMethod, list(r.Prompt), r.MaxAge, r.LoginHint,
		r.HintUserID, list(r.ACRValues), r.UserID, r.SessionID, timeOrNull(r.AuthTime), list(r.AMR),
		r.ACR, r.Done, bytesOrNull(r.CodeHash), r.CodeUsedAt, r.IssuedAccessTokenID, r.IssuedFamilyID,
		r.CreatedAt, r.ExpiresAt, r.BrowserBinding)
	return mapErr("CreateAuthRequest", err)
}

func (s *Store) AuthRequestByID(ctx context.Context, tenantID, id string) (*store.AuthRequest, error) {
	a, err := scanAuthRequest(s.pool.QueryRow(ctx,
		`SELECT `+authRequestCols+` FROM auth_requests WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return a, mapErr("AuthRequestByID", err)
}

// CompleteAuthRequest records the login on a pending, unexpired request and
// sets r.Done.
func (s *Store) CompleteAuthRequest(ctx context.Context, r *store.AuthRequest, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE auth_requests
		SET user_id = $3, session_id = $4, auth_time = $5, amr = $6, acr = $7, done = TRUE,
			expires_at = COALESCE($9, expires_at)
		WHERE tenant_id = $1 AND id = $2 AND NOT done AND expires_at > $8`,
		r.TenantID, r.ID, r.UserID, r.SessionID, timeOrNull(r.AuthTime), list(r.AMR), r.ACR, now, timeOrNull(r.ExpiresAt))
	if err == nil {
		err = mustAffect(tag)
	}
	if errors.Is(err, store.ErrNotFound) {
		// A separate statement, so that it sees a racing completion that
		// made the update miss.
		var done bool
		err = s.pool.QueryRow(ctx, `SELECT done FROM auth_requests WHERE tenant_id = $1 AND id = $2`,
			r.TenantID, r.ID).Scan(&done)
		switch {
		case err != nil: // pgx.ErrNoRows: not found
		case done:
			err = store.ErrAlreadyUsed
		default:
			err = store.ErrExpired
		}
	}
	if err == nil {
		r.Done = true
	}
	return mapErr("CompleteAuthRequest", err)
}

// SetAuthCode attaches codeHash to a done request without a code.
func (s *Store) SetAuthCode(ctx context.Context, tenantID, id string, codeHash []byte) error {
	if len(codeHash) == 0 {
		return errors.New("postgres: SetAuthCode: empty code hash")
	}
	var updated bool
	err := s.pool.QueryRow(ctx, `WITH upd AS (
			UPDATE auth_requests SET code_hash = $3
			WHERE tenant_id = $1 AND id = $2 AND done AND code_hash IS NULL
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM upd) FROM auth_requests WHERE tenant_id = $1 AND id = $2`,
		tenantID, id, codeHash).Scan(&updated)
	if err == nil && !updated {
		err = store.ErrAlreadyUsed
	}
	return mapErr("SetAuthCode", err)
}

func (s *Store) AuthRequestByCode(ctx context.Context, tenantID string, codeHash []byte) (*store.AuthRequest, error) {
	a, err := scanAuthRequest(s.pool.QueryRow(ctx,
		`SELECT `+authRequestCols+` FROM auth_requests WHERE tenant_id = $1 AND code_hash = $2`, tenantID, codeHash))
	return a, mapErr("AuthRequestByCode", err)
}

// ConsumeAuthCode marks the code used with one conditional UPDATE: exactly
// one caller wins. A replay gets ErrAlreadyUsed and the request.
func (s *Store) ConsumeAuthCode(ctx context.Context, tenantID string, codeHash []byte, accessTokenID, familyID string, now time.Time) (*store.AuthRequest, error) {
	a, err := scanAuthRequest(s.pool.QueryRow(ctx, `UPDATE auth_requests
		SET code_used_at = $1, issued_access_token_id = $2, issued_family_id = $3
		WHERE tenant_id = $4 AND code_hash = $5 AND code_used_at IS NULL AND expires_at > $1
		RETURNING `+authRequestCols,
		now, accessTokenID, familyID, tenantID, codeHash))
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, mapErr("ConsumeAuthCode", err)
	}
	// Not consumed now. A code only ever goes from unused to used, so what we
	// read here explains why.
	a, err = s.AuthRequestByCode(ctx, tenantID, codeHash)
	switch {
	case err != nil:
		return nil, err
	case a.CodeUsedAt != nil:
		return a, mapErr("ConsumeAuthCode", store.ErrAlreadyUsed)
	default:
		return nil, mapErr("ConsumeAuthCode", store.ErrExpired)
	}
}

func (s *Store) DeleteAuthRequest(ctx context.Context, tenantID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM auth_requests WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("DeleteAuthRequest", err)
}

// DeleteExpiredAuthRequests removes requests, in every tenant, that expired
// before cutoff.
func (s *Store) DeleteExpiredAuthRequests(ctx context.Context, cutoff time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM auth_requests WHERE expires_at < $1`, cutoff)
	if err != nil {
		return 0, mapErr("DeleteExpiredAuthRequests", err)
	}
	return tag.RowsAffected(), nil
}
