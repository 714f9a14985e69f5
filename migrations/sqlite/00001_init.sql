-- Gatehouse schema, version 1 (SQLite).
--
-- The same tables, keys and indexes as postgres/00001_init.sql. STRICT tables;
-- times are INTEGER unix microseconds (UTC); booleans INTEGER 0/1; string
-- lists and documents JSON text. Codes and tokens are SHA-256 hashes.

-- +goose Up
CREATE TABLE tenants (
    id         TEXT    NOT NULL PRIMARY KEY,
    slug       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    settings   TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT tenants_slug_key UNIQUE (slug)
) STRICT;

CREATE TABLE users (
    tenant_id           TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                  TEXT    NOT NULL,
    email               TEXT    NOT NULL, -- lower-cased by the store
    email_verified      INTEGER NOT NULL DEFAULT 0,
    name                TEXT    NOT NULL DEFAULT '',
    role                TEXT    NOT NULL,
    password_hash       TEXT    NOT NULL DEFAULT '',
    password_changed_at INTEGER,
    disabled            INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_email_key UNIQUE (tenant_id, email)
) STRICT;

CREATE TABLE clients (
    tenant_id                 TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                        TEXT    NOT NULL,
    name                      TEXT    NOT NULL DEFAULT '',
    secret_hash               BLOB,
    public                    INTEGER NOT NULL DEFAULT 0,
    app_type                  TEXT    NOT NULL,
    redirect_uris             TEXT    NOT NULL DEFAULT '[]',
    post_logout_redirect_uris TEXT    NOT NULL DEFAULT '[]',
    grant_types               TEXT    NOT NULL DEFAULT '[]',
    disabled                  INTEGER NOT NULL DEFAULT 0,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

-- Auth requests and refresh tokens name their client without a foreign key
-- (as in Postgres); DeleteClient removes them itself, in one transaction.
CREATE TABLE auth_requests (
    tenant_id              TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                     TEXT    NOT NULL,
    client_id              TEXT    NOT NULL,
    redirect_uri           TEXT    NOT NULL DEFAULT '',
    scopes                 TEXT    NOT NULL DEFAULT '[]',
    state                  TEXT    NOT NULL DEFAULT '',
    nonce                  TEXT    NOT NULL DEFAULT '',
    response_type          TEXT    NOT NULL DEFAULT '',
    response_mode          TEXT    NOT NULL DEFAULT '',
    code_challenge         TEXT    NOT NULL DEFAULT '',
    code_challenge_method  TEXT    NOT NULL DEFAULT '',
    prompt                 TEXT    NOT NULL DEFAULT '[]',
    max_age                INTEGER,
    login_hint             TEXT    NOT NULL DEFAULT '',
    hint_user_id           TEXT    NOT NULL DEFAULT '',
    acr_values             TEXT    NOT NULL DEFAULT '[]',
    user_id                TEXT    NOT NULL DEFAULT '',
    session_id             TEXT    NOT NULL DEFAULT '',
    auth_time              INTEGER,
    amr                    TEXT    NOT NULL DEFAULT '[]',
    acr                    TEXT    NOT NULL DEFAULT '',
    done                   INTEGER NOT NULL DEFAULT 0,
    code_hash              BLOB,
    code_used_at           INTEGER,
    issued_access_token_id TEXT    NOT NULL DEFAULT '',
    issued_family_id       TEXT    NOT NULL DEFAULT '',
    created_at             INTEGER NOT NULL,
    expires_at             INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT auth_requests_code_hash_key UNIQUE (tenant_id, code_hash)
) STRICT;
CREATE INDEX auth_requests_client_idx ON auth_requests (tenant_id, client_id);
CREATE INDEX auth_requests_expires_idx ON auth_requests (expires_at);

CREATE TABLE sessions (
    tenant_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    user_id         TEXT    NOT NULL,
    auth_time       INTEGER NOT NULL,
    amr             TEXT    NOT NULL DEFAULT '[]',
    acr             TEXT    NOT NULL DEFAULT '',
    ip              TEXT    NOT NULL DEFAULT '',
    user_agent      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    ended_at        INTEGER,
    end_reason      TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX sessions_user_idx ON sessions (tenant_id, user_id, created_at);

CREATE TABLE refresh_tokens (
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         TEXT    NOT NULL,
    hash       BLOB    NOT NULL,
    family_id  TEXT    NOT NULL,
    client_id  TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    session_id TEXT    NOT NULL DEFAULT '',
    scopes     TEXT    NOT NULL DEFAULT '[]',
    amr        TEXT    NOT NULL DEFAULT '[]',
    acr        TEXT    NOT NULL DEFAULT '',
    auth_time  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT refresh_tokens_hash_key UNIQUE (tenant_id, hash)
) STRICT;
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (tenant_id, family_id);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (tenant_id, session_id);
CREATE INDEX refresh_tokens_client_idx ON refresh_tokens (tenant_id, client_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

-- Revoked access-token ids (kind 'access') and revoked refresh families
-- (kind 'family'), kept until every access token they concern has expired.
CREATE TABLE revocations (
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('access', 'family')),
    key        TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, key)
) STRICT;
CREATE INDEX revocations_expires_idx ON revocations (expires_at);

CREATE TABLE signing_keys (
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         TEXT    NOT NULL,
    algorithm  TEXT    NOT NULL,
    sealed     BLOB    NOT NULL,
    public_jwk BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER,
    remove_at  INTEGER,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE action_tokens (
    tenant_id  TEXT    NOT NULL,
    hash       BLOB    NOT NULL,
    kind       TEXT    NOT NULL,
    user_id    TEXT,   -- NULL: no user yet (first-owner setup link)
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (tenant_id, hash),
    FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX action_tokens_user_idx ON action_tokens (tenant_id, user_id);

-- seq orders events appended within the same microsecond.
CREATE TABLE audit_events (
    seq        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    user_id    TEXT    NOT NULL DEFAULT '',
    client_id  TEXT    NOT NULL DEFAULT '',
    session_id TEXT    NOT NULL DEFAULT '',
    ip         TEXT    NOT NULL DEFAULT '',
    user_agent TEXT    NOT NULL DEFAULT '',
    detail     TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    CONSTRAINT audit_events_id_key UNIQUE (tenant_id, id)
) STRICT;
CREATE INDEX audit_events_tenant_idx ON audit_events (tenant_id, created_at DESC, seq DESC);
CREATE INDEX audit_events_user_idx ON audit_events (tenant_id, user_id, created_at DESC, seq DESC);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE action_tokens;
DROP TABLE signing_keys;
DROP TABLE revocations;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE auth_requests;
DROP TABLE clients;
DROP TABLE users;
DROP TABLE tenants;
