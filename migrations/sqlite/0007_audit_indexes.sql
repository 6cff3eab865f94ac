-- Indexes for the audit log's filters, so that one page stays an index
-- read, newest first, at millions of entries in a workspace: each filter
-- gets (workspace_id, <filter column>, created_at, id), which serves both
-- the equality (or, for an action group, the range ['member.', 'member/'))
-- and the ORDER BY created_at DESC, id DESC LIMIT of audit::query::page.
-- (workspace_id, created_at, id) exists since 0001 and serves the
-- unfiltered list, the date range and the search. Kept in step with
-- postgres/0007_audit_indexes.sql (which also makes `action` sort bytewise;
-- SQLite's default BINARY collation already does).
CREATE INDEX audit_log_actor_time_idx ON audit_log (workspace_id, actor_id, created_at, id);
CREATE INDEX audit_log_action_time_idx ON audit_log (workspace_id, action, created_at, id);
CREATE INDEX audit_log_target_type_time_idx ON audit_log (workspace_id, target_type, created_at, id);
