-- Signed checkpoints that retention cut each workspace's audit chain at:
-- entries up to `seq` were removed, and `hash` was the hash of entry `seq`,
-- signed with the server key (see crates/app/src/audit/checkpoint.rs).
-- Verification starts from the newest one. Kept in step with
-- sqlite/0006_audit_retention.sql, plus the trigger change below.
CREATE TABLE audit_checkpoints (
    workspace_id TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    hash         TEXT NOT NULL,
    signed_at    TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    signature    TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);

-- Append-only, as before, with one more exception: retention may delete an
-- entry that a stored checkpoint covers (a chained entry at or below the
-- workspace's newest checkpoint, or an unchained one from before the chain
-- existed once the workspace has a checkpoint), after saying so with
-- set_config('switchboard.audit_delete', 'retention', true).
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    mode text := current_setting('switchboard.audit_delete', true);
BEGIN
    IF TG_OP = 'DELETE' AND mode = 'workspace' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'DELETE' AND mode = 'retention' AND EXISTS (
        SELECT 1 FROM audit_checkpoints c
        WHERE c.workspace_id = OLD.workspace_id AND (OLD.seq IS NULL OR c.seq >= OLD.seq)
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
