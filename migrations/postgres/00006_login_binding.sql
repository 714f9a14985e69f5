-- Sign-in transactions bound to the browser (issue 8), PostgreSQL. Same as sqlite/00006_login_binding.sql.
-- browser_binding is the SHA-256 of a random value in the __Host-gh_login_{tenant}
-- cookie of the browser that started the request (idp/login_binding.go). Every
-- step of the login transaction, and zitadel's callback, compares it; the store
-- refuses requests without one. Requests from before this migration have none
-- and can no longer be completed (they expire within 30 minutes anyway).

-- +goose Up
ALTER TABLE auth_requests ADD COLUMN browser_binding BYTEA;

-- +goose Down
ALTER TABLE auth_requests DROP COLUMN browser_binding;
