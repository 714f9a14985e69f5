-- Scopes a client may ask for beyond OpenID's (issue 10: gatehouse.audit), PostgreSQL.
-- Same as sqlite/00009_client_scopes.sql.

-- +goose Up
ALTER TABLE clients ADD COLUMN scopes TEXT[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE clients DROP COLUMN scopes;
