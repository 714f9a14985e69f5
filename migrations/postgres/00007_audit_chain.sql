-- The audit log as a hash chain per tenant (issue 10), PostgreSQL. Same as sqlite/00007_audit_chain.sql.
-- chain_seq numbers a tenant's events from 1 in append order; hash is the SHA-256 of the
-- event's canonical encoding (store.AuditHash) chained to prev_hash. audit_chains holds one
-- row per tenant: the head (last_seq, last_hash), locked by each append so appends of one
-- tenant are serialised by the database across replicas, and the anchor (the last event
-- retention deleted, or the last event recorded before this migration: those have no
-- hash and are not covered by verification).
-- The new columns: outcome, actor, location, request id.

-- +goose Up
ALTER TABLE audit_events
    ADD COLUMN chain_seq  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN outcome    TEXT   NOT NULL DEFAULT '',
    ADD COLUMN actor_kind TEXT   NOT NULL DEFAULT '',
    ADD COLUMN actor_id   TEXT   NOT NULL DEFAULT '',
    ADD COLUMN location   TEXT   NOT NULL DEFAULT '',
    ADD COLUMN request_id TEXT   NOT NULL DEFAULT '',
    ADD COLUMN prev_hash  BYTEA,
    ADD COLUMN hash       BYTEA;
UPDATE audit_events e SET chain_seq = n.rn
FROM (SELECT seq, row_number() OVER (PARTITION BY tenant_id ORDER BY seq) AS rn FROM audit_events) n
WHERE e.seq = n.seq;
ALTER TABLE audit_events ALTER COLUMN chain_seq DROP DEFAULT;

CREATE TABLE audit_chains (
    tenant_id   TEXT   NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_seq    BIGINT NOT NULL DEFAULT 0,
    last_hash   BYTEA,
    anchor_seq  BIGINT NOT NULL DEFAULT 0,
    anchor_hash BYTEA
);
INSERT INTO audit_chains (tenant_id, last_seq, anchor_seq)
SELECT tenant_id, max(chain_seq), max(chain_seq) FROM audit_events GROUP BY tenant_id;

DROP INDEX audit_events_tenant_idx;
DROP INDEX audit_events_user_idx;
CREATE UNIQUE INDEX audit_events_chain_idx ON audit_events (tenant_id, chain_seq);
CREATE INDEX audit_events_user_idx ON audit_events (tenant_id, user_id, chain_seq);
CREATE INDEX audit_events_type_idx ON audit_events (tenant_id, type, chain_seq);
CREATE INDEX audit_events_time_idx ON audit_events (tenant_id, created_at);

-- +goose Down
DROP INDEX audit_events_time_idx;
DROP INDEX audit_events_type_idx;
DROP INDEX audit_events_user_idx;
DROP INDEX audit_events_chain_idx;
CREATE INDEX audit_events_tenant_idx ON audit_events (tenant_id, created_at DESC, seq DESC);
CREATE INDEX audit_events_user_idx ON audit_events (tenant_id, user_id, created_at DESC, seq DESC);
DROP TABLE audit_chains;
ALTER TABLE audit_events
    DROP COLUMN chain_seq, DROP COLUMN outcome, DROP COLUMN actor_kind, DROP COLUMN actor_id,
    DROP COLUMN location, DROP COLUMN request_id, DROP COLUMN prev_hash, DROP COLUMN hash;
