-- Federation (issue 3): upstream connections, links from upstream accounts
-- to local users, single-use round-trip states, and which sessions were
-- created through which connection. Same tables as postgres/00002_federation.sql.

-- +goose Up
CREATE TABLE connections (
    tenant_id           TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                  TEXT    NOT NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('google', 'microsoft', 'oidc')),
    name                TEXT    NOT NULL,
    config              TEXT    NOT NULL DEFAULT '{}',
    sealed_secret       BLOB    NOT NULL,
    enabled             INTEGER NOT NULL DEFAULT 1,
    jit                 INTEGER NOT NULL DEFAULT 0,
    default_role        TEXT    NOT NULL DEFAULT 'agent',
    link_mode           TEXT    NOT NULL DEFAULT 'none',
    accept_upstream_mfa INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE federated_links (
    tenant_id     TEXT    NOT NULL,
    connection_id TEXT    NOT NULL,
    issuer        TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    user_id       TEXT    NOT NULL,
    email         TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, connection_id, issuer, subject),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX federated_links_user_idx ON federated_links (tenant_id, user_id);

CREATE TABLE federation_states (
    tenant_id     TEXT    NOT NULL,
    hash          BLOB    NOT NULL,
    connection_id TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER,
    PRIMARY KEY (tenant_id, hash),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX federation_states_expiry_idx ON federation_states (expires_at);

-- session_id stays '' until the login transaction completes.
CREATE TABLE federated_logins (
    tenant_id       TEXT    NOT NULL,
    auth_request_id TEXT    NOT NULL,
    connection_id   TEXT    NOT NULL,
    session_id      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, auth_request_id),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX federated_logins_connection_idx ON federated_logins (tenant_id, connection_id);

-- +goose Down
DROP TABLE federated_logins;
DROP TABLE federation_states;
DROP TABLE federated_links;
DROP TABLE connections;
