-- Signed checkpoints that retention cut each workspace's audit chain at:
-- entries up to `seq` were removed, and `hash` was the hash of entry `seq`,
-- signed with the server key (see crates/app/src/audit/checkpoint.rs).
-- Verification starts from the newest one. Kept in step with
-- postgres/0006_audit_retention.sql.
CREATE TABLE audit_checkpoints (
    workspace_id TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    hash         TEXT NOT NULL,
    signed_at    TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    signature    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
