-- Second factors (issue 4), SQLite. The same tables, keys and indexes as
-- postgres/00003_mfa.sql. Times are INTEGER unix microseconds (UTC).

-- +goose Up
CREATE TABLE factors (
    tenant_id     TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    user_id       TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('totp', 'sms', 'email', 'webauthn')),
    name          TEXT    NOT NULL DEFAULT '',
    is_default    INTEGER NOT NULL DEFAULT 0,
    verified      INTEGER NOT NULL DEFAULT 0,
    secret_sealed BLOB,                       -- TOTP secret, sealed (PurposeFactorSecret)
    last_step     INTEGER NOT NULL DEFAULT 0, -- last accepted TOTP step
    destination   TEXT    NOT NULL DEFAULT '',
    credential_id BLOB,                       -- WebAuthn
    user_handle   BLOB,
    sign_count    INTEGER NOT NULL DEFAULT 0,
    credential    BLOB,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT factors_credential_id_key UNIQUE (tenant_id, credential_id)
) STRICT;
CREATE INDEX factors_user_idx ON factors (tenant_id, user_id, created_at);
CREATE INDEX factors_user_handle_idx ON factors (tenant_id, user_handle);

CREATE TABLE otp_challenges (
    tenant_id   TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    factor_id   TEXT    NOT NULL,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('login', 'enroll')),
    binding     TEXT    NOT NULL,
    destination TEXT    NOT NULL,
    code_hash   BLOB    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, factor_id) REFERENCES factors (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX otp_challenges_factor_idx ON otp_challenges (tenant_id, factor_id, purpose, binding, created_at);

-- Every code sent, for the per-user and per-destination limits.
CREATE TABLE otp_sends (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     TEXT    NOT NULL,
    destination TEXT    NOT NULL,
    sent_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX otp_sends_user_idx ON otp_sends (tenant_id, user_id, sent_at);
CREATE INDEX otp_sends_destination_idx ON otp_sends (tenant_id, destination, sent_at);

-- The pending part of a login transaction (between primary sign-in and
-- session); it dies with its auth request. user_id is empty while a
-- passwordless passkey ceremony has not named the user yet.
CREATE TABLE login_states (
    tenant_id       TEXT    NOT NULL,
    auth_request_id TEXT    NOT NULL,
    user_id         TEXT    NOT NULL,
    methods         TEXT    NOT NULL DEFAULT '[]',
    step            TEXT    NOT NULL,
    reason          TEXT    NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    factor_id       TEXT    NOT NULL DEFAULT '',
    ceremony        BLOB,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, auth_request_id),
    FOREIGN KEY (tenant_id, auth_request_id) REFERENCES auth_requests (tenant_id, id) ON DELETE CASCADE
) STRICT;

-- Failed second-factor attempts per account, across login attempts.
CREATE TABLE factor_failures (
    tenant_id TEXT    NOT NULL,
    user_id   TEXT    NOT NULL,
    failed_at INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX factor_failures_user_idx ON factor_failures (tenant_id, user_id, failed_at);

CREATE TABLE backup_code_sets (
    tenant_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    user_id         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    acknowledged_at INTEGER,
    -- the codes, sealed, until the user downloaded them or confirmed saving them
    sealed_codes    BLOB,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT backup_code_sets_user_key UNIQUE (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE backup_codes (
    tenant_id TEXT    NOT NULL,
    set_id    TEXT    NOT NULL,
    user_id   TEXT    NOT NULL,
    idx       INTEGER NOT NULL,
    code_hash BLOB    NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (tenant_id, set_id, idx),
    FOREIGN KEY (tenant_id, set_id) REFERENCES backup_code_sets (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX backup_codes_hash_idx ON backup_codes (tenant_id, user_id, code_hash);

-- Browsers a user signed in from (hash of the device cookie id). Shared with
-- the device centre, which may add columns such as blocked_at.
CREATE TABLE known_devices (
    tenant_id      TEXT    NOT NULL,
    user_id        TEXT    NOT NULL,
    device_hash    BLOB    NOT NULL,
    label          TEXT    NOT NULL DEFAULT '',
    ip             TEXT    NOT NULL DEFAULT '',
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    remember_until INTEGER,
    PRIMARY KEY (tenant_id, user_id, device_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE known_locations (
    tenant_id    TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    location_key TEXT    NOT NULL,
    label        TEXT    NOT NULL DEFAULT '',
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id, location_key),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;

-- +goose Down
DROP TABLE known_locations;
DROP TABLE known_devices;
DROP TABLE backup_codes;
DROP TABLE backup_code_sets;
DROP TABLE factor_failures;
DROP TABLE login_states;
DROP TABLE otp_sends;
DROP TABLE otp_challenges;
DROP TABLE factors;
