-- The audit log as a hash chain per tenant (issue 10), SQLite. Same as postgres/00007_audit_chain.sql.
-- chain_seq numbers a tenant's events from 1 in append order; hash is the SHA-256 of the
-- event's canonical encoding (store.AuditHash) chained to prev_hash. audit_chains holds one
-- row per tenant: the head (last_seq, last_hash), updated by each append inside the writer's
-- transaction, and the anchor (the last event retention deleted, or the last event recorded
-- before this migration: those have no hash and are not covered by verification).
-- The new columns: outcome, actor, location, request id.

-- +goose Up
ALTER TABLE audit_events ADD COLUMN chain_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN actor_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN actor_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN location TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN prev_hash BLOB;
ALTER TABLE audit_events ADD COLUMN hash BLOB;
UPDATE audit_events SET chain_seq = (
    SELECT count(*) FROM audit_events a WHERE a.tenant_id = audit_events.tenant_id AND a.seq <= audit_events.seq);

CREATE TABLE audit_chains (
    tenant_id   TEXT    NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_seq    INTEGER NOT NULL DEFAULT 0,
    last_hash   BLOB,
    anchor_seq  INTEGER NOT NULL DEFAULT 0,
    anchor_hash BLOB
) STRICT;
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
ALTER TABLE audit_events DROP COLUMN chain_seq;
ALTER TABLE audit_events DROP COLUMN outcome;
ALTER TABLE audit_events DROP COLUMN actor_kind;
ALTER TABLE audit_events DROP COLUMN actor_id;
ALTER TABLE audit_events DROP COLUMN location;
ALTER TABLE audit_events DROP COLUMN request_id;
ALTER TABLE audit_events DROP COLUMN prev_hash;
ALTER TABLE audit_events DROP COLUMN hash;
