-- One row per invitation email a person sent (first sends and resends), in
-- any workspace: the per-person daily cap (src/invitations/daily_cap.rs)
-- counts them. Not workspace data (no workspace_id): deleting a workspace
-- must not refill its sender's budget. Rows older than a day are deleted
-- hourly. Kept in step with postgres/0013_invitation_sends.sql.
CREATE TABLE invitation_sends (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sent_at TEXT NOT NULL
);
CREATE INDEX invitation_sends_user_idx ON invitation_sends (user_id, sent_at);
CREATE INDEX invitation_sends_sent_at_idx ON invitation_sends (sent_at);
