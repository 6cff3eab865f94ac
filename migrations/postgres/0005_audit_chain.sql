-- The audit log's hash chain: each entry has its workspace's next sequence
-- number, the hash of the entry before it and its own hash; the chain head
-- (last sequence number and hash) is one row per workspace, which writers
-- update in their transaction, so concurrent writers in several processes
-- queue on it and the chain has no gaps. Entries written before this
-- migration keep NULLs and stand outside the chain. Kept in step with
-- sqlite/0005_audit_chain.sql, plus the append-only trigger below.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_chain_idx ON audit_log (workspace_id, seq);

-- No foreign key: like the log, the head outlives a deleted workspace's row
-- until the deletion removes it explicitly.
CREATE TABLE audit_chain_heads (
    workspace_id TEXT PRIMARY KEY,
    seq          BIGINT NOT NULL,
    hash         TEXT NOT NULL
);

-- Append-only: UPDATE and DELETE on audit_log are refused, except the
-- DELETE of a workspace deletion, whose transaction says so first with
-- set_config('switchboard.audit_delete', 'workspace', true).
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('switchboard.audit_delete', true) = 'workspace' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
