-- Audit log exports (issue 10), PostgreSQL. Same as sqlite/00008_audit_exports.sql.
-- audit_exports is the history (who asked, when, which period and format, rows, size,
-- SHA-256); a background export's file is kept in audit_export_chunks until it expires,
-- so every replica can serve the download without a shared disk.

-- +goose Up
CREATE TABLE audit_exports (
    tenant_id   TEXT        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          TEXT        NOT NULL,
    actor_kind  TEXT        NOT NULL,
    actor_id    TEXT        NOT NULL DEFAULT '',
    format      TEXT        NOT NULL,
    since       TIMESTAMPTZ NOT NULL,
    until       TIMESTAMPTZ NOT NULL,
    stored      BOOLEAN     NOT NULL,
    status      TEXT        NOT NULL,
    rows        BIGINT      NOT NULL DEFAULT 0,
    bytes       BIGINT      NOT NULL DEFAULT 0,
    sha256      TEXT        NOT NULL DEFAULT '',
    error       TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    expires_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_exports_created_idx ON audit_exports (tenant_id, created_at DESC);
CREATE INDEX audit_exports_expiry_idx ON audit_exports (expires_at) WHERE stored AND status <> 'expired';

CREATE TABLE audit_export_chunks (
    tenant_id TEXT    NOT NULL,
    export_id TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    data      BYTEA   NOT NULL,
    PRIMARY KEY (tenant_id, export_id, n),
    FOREIGN KEY (tenant_id, export_id) REFERENCES audit_exports (tenant_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE audit_export_chunks;
DROP TABLE audit_exports;
