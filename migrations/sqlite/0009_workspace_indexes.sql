-- Every workspace-owned table gets an index that starts with workspace_id,
-- so deleting a workspace (the ON DELETE CASCADE from workspaces) and each
-- tenant query find their rows by index rather than by scanning the table.
-- These four had none (invitations only a partial one, over pending rows).
-- tests/it/schema_checks.rs keeps it so. Kept in step with
-- postgres/0009_workspace_indexes.sql.
CREATE INDEX invitations_workspace_idx ON invitations (workspace_id, status, created_at);
CREATE INDEX webhook_messages_workspace_idx ON webhook_messages (workspace_id, created_at);
CREATE INDEX webhook_deliveries_workspace_idx ON webhook_deliveries (workspace_id);
CREATE INDEX webhook_attempts_workspace_idx ON webhook_attempts (workspace_id);
