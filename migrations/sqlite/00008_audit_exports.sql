-- Audit log exports (issue 10), SQLite. Same as postgres/00008_audit_exports.sql.
-- audit_exports is the history (who asked, when, which period and format, rows, size,
-- SHA-256); a background export's file is kept in audit_export_chunks until it expires.

-- +goose Up
CREATE TABLE audit_exports (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          TEXT    NOT NULL,
    actor_kind  TEXT    NOT NULL,
    actor_id    TEXT    NOT NULL DEFAULT '',
    format      TEXT    NOT NULL,
    since       INTEGER NOT NULL,
    until       INTEGER NOT NULL,
    stored      INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    rows        INTEGER NOT NULL DEFAULT 0,
    bytes       INTEGER NOT NULL DEFAULT 0,
    sha256      TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    finished_at INTEGER,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE INDEX audit_exports_created_idx ON audit_exports (tenant_id, created_at DESC);
CREATE INDEX audit_exports_expiry_idx ON audit_exports (expires_at) WHERE stored AND status <> 'expired';

CREATE TABLE audit_export_chunks (
    tenant_id TEXT    NOT NULL,
    export_id TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    data      BLOB    NOT NULL,
    PRIMARY KEY (tenant_id, export_id, n),
    FOREIGN KEY (tenant_id, export_id) REFERENCES audit_exports (tenant_id, id) ON DELETE CASCADE
) STRICT;

-- +goose Down
DROP TABLE audit_export_chunks;
DROP TABLE audit_exports;
