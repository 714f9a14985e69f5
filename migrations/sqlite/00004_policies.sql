-- Access policies (issue 5), SQLite. Same tables as postgres/00004_policies.sql.
-- IP allowlists and password/brute-force settings live in tenants.settings
-- (JSON); these tables hold what changes per sign-in.

-- +goose Up
-- Failed sign-ins per key ("user:<id>", "email:<address>", "ip:<addr or /64>").
CREATE TABLE login_failures (
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key              TEXT    NOT NULL,
    failures         INTEGER NOT NULL,
    first_failure_at INTEGER NOT NULL,
    last_failure_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
) STRICT;
CREATE INDEX login_failures_last_idx ON login_failures (last_failure_at);

-- Hashes (argon2id PHC strings) of passwords a user had before.
CREATE TABLE password_history (
    tenant_id  TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX password_history_user_idx ON password_history (tenant_id, user_id, created_at);

-- Applications each SSO session signed into.
CREATE TABLE session_clients (
    tenant_id  TEXT    NOT NULL,
    session_id TEXT    NOT NULL,
    client_id  TEXT    NOT NULL,
    first_at   INTEGER NOT NULL,
    last_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, session_id, client_id),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
) STRICT;

-- OpenID Connect Back-Channel Logout endpoints of relying parties.
CREATE TABLE client_logout (
    tenant_id              TEXT NOT NULL,
    client_id              TEXT NOT NULL,
    backchannel_logout_uri TEXT NOT NULL,
    PRIMARY KEY (tenant_id, client_id),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE
) STRICT;

-- The device and location centre: a user (or admin) blocks a browser or a
-- place; sign-ins from it are refused. The tables are 00003's.
ALTER TABLE known_devices ADD COLUMN blocked_at INTEGER;
ALTER TABLE known_locations ADD COLUMN blocked_at INTEGER;

-- +goose Down
ALTER TABLE known_locations DROP COLUMN blocked_at;
ALTER TABLE known_devices DROP COLUMN blocked_at;
DROP TABLE client_logout;
DROP TABLE session_clients;
DROP TABLE password_history;
DROP TABLE login_failures;
