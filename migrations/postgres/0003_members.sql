-- Invitations, member search, and an audit log that outlives its workspace
-- (the entry recording a workspace's deletion is kept). Kept in step with
-- sqlite/0003_members.sql.

CREATE TABLE invitations (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    token_hash       TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
    invited_by       TEXT REFERENCES users (id) ON DELETE SET NULL,
    send_count       BIGINT NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    accepted_at      TIMESTAMPTZ,
    CONSTRAINT invitations_token_key UNIQUE (token_hash)
);
-- One pending invitation per address and workspace; inviting again resends.
CREATE UNIQUE INDEX invitations_pending_email_key ON invitations (workspace_id, email_normalized) WHERE status = 'pending';

ALTER TABLE users ADD COLUMN name_normalized TEXT NOT NULL DEFAULT '';
UPDATE users SET name_normalized = lower(name);
CREATE INDEX memberships_workspace_status_idx ON memberships (workspace_id, status);
-- The Members table sorts and searches on copies of the member's name and
-- email kept on the membership, so a page is one range read of this index.
ALTER TABLE memberships ADD COLUMN member_sort TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN member_email TEXT NOT NULL DEFAULT '';
UPDATE memberships SET member_sort = (SELECT lower(u.name) FROM users u WHERE u.id = memberships.user_id),
                       member_email = (SELECT u.email_normalized FROM users u WHERE u.id = memberships.user_id);
CREATE INDEX memberships_list_idx ON memberships (workspace_id, member_sort, id);

ALTER TABLE audit_log DROP CONSTRAINT audit_log_workspace_id_fkey;
