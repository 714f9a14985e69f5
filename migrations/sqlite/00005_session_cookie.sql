-- Session cookie rotation (issue 8), SQLite. Same as postgres/00005_session_cookie.sql.
-- The SSO cookie carries a random value whose SHA-256 is stored here; a
-- re-authentication of the same user replaces it (the old cookie stops
-- working) while the session id, the sid claim and its tokens stay. Sessions
-- from before this migration have no hash and no longer match any cookie.

-- +goose Up
ALTER TABLE sessions ADD COLUMN cookie_hash BLOB;

-- +goose Down
ALTER TABLE sessions DROP COLUMN cookie_hash;
