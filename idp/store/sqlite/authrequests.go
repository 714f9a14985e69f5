package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

const authRequestCols = `tenant_id, id, client_id, redirect_uri, scopes, state, nonce, response_type,
	response_mode, code_challenge, code_challenge_method, prompt, max_age, login_hint, hint_user_id,
	acr_values, user_id, session_id, auth_time, amr, acr, done, code_hash, code_used_at,
	issued_access_token_id, issued_family_id, created_at, expires_at, browser_binding`

func scanAuthRequest(r rowScanner) (*store.AuthRequest, error) {
	var a store.AuthRequest
	var maxAge sql.NullInt64
	err := r.Scan(&a.TenantID, &a.ID, &a.ClientID, &a.RedirectURI, listCol{&a.Scopes}, &a.State, &a.Nonce,
		&a.ResponseType, &a.ResponseMode, &a.CodeChallenge, &a.CodeChallengeMethod, listCol{&a.Prompt},
		&maxAge, &a.LoginHint, &a.HintUserID, listCol{&a.ACRValues}, &a.UserID, &a.SessionID,
		timeCol{&a.AuthTime}, listCol{&a.AMR}, &a.ACR, &a.Done, bytesCol{&a.CodeHash},
		timePtrCol{&a.CodeUsedAt}, &a.IssuedAccessTokenID, &a.IssuedFamilyID,
		timeCol{&a.CreatedAt}, timeCol{&a.ExpiresAt}, bytesCol{&a.BrowserBinding})
	if err != nil {
		return nil, err
	}
	if maxAge.Valid {
		a.MaxAge = &maxAge.Int64
	}
	return &a, nil
}

// CreateAuthRequest inserts r, filling an empty ID.
func (s *Store) CreateAuthRequest(ctx context.Context, r *store.AuthRequest) error {
	if len(r.BrowserBinding) == 0 {
		return errors.New("sqlite: CreateAuthRequest: no browser binding")
	}
	if r.ID == "" {
		r.ID = store.NewID()
	}
	var maxAge any
	if r.MaxAge != nil {
		maxAge = *r.MaxAge
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO auth_requests (`+authRequestCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.TenantID, r.ID, r.ClientID, r.RedirectURI, listJSON(r.Scopes), r.State, r.Nonce, r.ResponseType,
		r.ResponseMode, r.CodeChallenge, r.CodeChallengeMethod, listJSON(r.Prompt), maxAge, r.LoginHint,
		r.HintUserID, listJSON(r.ACRValues), r.UserID, r.SessionID, microsOrNull(r.AuthTime), listJSON(r.AMR),
		r.ACR, r.Done, bytesOrNull(r.CodeHash), microsPtr(r.CodeUsedAt), r.IssuedAccessTokenID,
		r.IssuedFamilyID, micros(r.CreatedAt), micros(r.ExpiresAt), r.BrowserBinding)
	return mapErr("CreateAuthRequest", err)
}

func (s *Store) AuthRequestByID(ctx context.Context, tenantID, id string) (*store.AuthRequest, error) {
	a, err := scanAuthRequest(s.r.QueryRowContext(ctx,
		`SELECT `+authRequestCols+` FROM auth_requests WHERE tenant_id = ? AND id = ?`, tenantID, id))
	return a, mapErr("AuthRequestByID", err)
}

// CompleteAuthRequest records the login on a pending, unexpired request and
// sets r.Done.
func (s *Store) CompleteAuthRequest(ctx context.Context, r *store.AuthRequest, now time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE auth_requests
		SET user_id = ?, session_id = ?, auth_time = ?, amr = ?, acr = ?, done = 1,
			expires_at = COALESCE(?, expires_at)
		WHERE tenant_id = ? AND id = ? AND done = 0 AND expires_at > ?`,
		r.UserID, r.SessionID, microsOrNull(r.AuthTime), listJSON(r.AMR), r.ACR, microsOrNull(r.ExpiresAt), r.TenantID, r.ID, micros(now))
	if err == nil {
		err = mustAffect(res)
	}
	if errors.Is(err, store.ErrNotFound) {
		var done bool
		err = s.r.QueryRowContext(ctx, `SELECT done FROM auth_requests WHERE tenant_id = ? AND id = ?`,
			r.TenantID, r.ID).Scan(&done)
		switch {
		case err != nil: // sql.ErrNoRows: not found
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
		return errors.New("sqlite: SetAuthCode: empty code hash")
	}
	res, err := s.w.ExecContext(ctx, `UPDATE auth_requests SET code_hash = ?
		WHERE tenant_id = ? AND id = ? AND done = 1 AND code_hash IS NULL`, codeHash, tenantID, id)
	if err == nil {
		err = mustAffect(res)
	}
	if errors.Is(err, store.ErrNotFound) {
		found, ferr := exists(ctx, s.r, `SELECT 1 FROM auth_requests WHERE tenant_id = ? AND id = ?`, tenantID, id)
		switch {
		case ferr != nil:
			err = ferr
		case found:
			err = store.ErrAlreadyUsed
		}
	}
	return mapErr("SetAuthCode", err)
}

func (s *Store) AuthRequestByCode(ctx context.Context, tenantID string, codeHash []byte) (*store.AuthRequest, error) {
	a, err := scanAuthRequest(s.r.QueryRowContext(ctx,
		`SELECT `+authRequestCols+` FROM auth_requests WHERE tenant_id = ? AND code_hash = ?`, tenantID, codeHash))
	return a, mapErr("AuthRequestByCode", err)
}

// ConsumeAuthCode marks the code used with one conditional UPDATE: exactly
// one caller wins. A replay gets ErrAlreadyUsed and the request.
func (s *Store) ConsumeAuthCode(ctx context.Context, tenantID string, codeHash []byte, accessTokenID, familyID string, now time.Time) (*store.AuthRequest, error) {
	a, err := scanAuthRequest(s.w.QueryRowContext(ctx, `UPDATE auth_requests
		SET code_used_at = ?1, issued_access_token_id = ?2, issued_family_id = ?3
		WHERE tenant_id = ?4 AND code_hash = ?5 AND code_used_at IS NULL AND expires_at > ?1
		RETURNING `+authRequestCols,
		micros(now), accessTokenID, familyID, tenantID, codeHash))
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, mapErr("ConsumeAuthCode", err)
	}
	// Not consumed now. A request's code only ever goes from unused to used,
	// so what we read here explains why.
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
	res, err := s.w.ExecContext(ctx, `DELETE FROM auth_requests WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("DeleteAuthRequest", err)
}

// DeleteExpiredAuthRequests removes requests, in every tenant, that expired
// before cutoff.
func (s *Store) DeleteExpiredAuthRequests(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM auth_requests WHERE expires_at < ?`, micros(cutoff))
	if err != nil {
		return 0, mapErr("DeleteExpiredAuthRequests", err)
	}
	n, err := res.RowsAffected()
	return n, mapErr("DeleteExpiredAuthRequests", err)
}
