-- Accounts, workspaces, memberships, sessions, sign-in throttling, audit
-- entries and the job table. Kept in step with sqlite/0001_foundation.sql.

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    phone_e164       TEXT,
    avatar_version   BIGINT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email_normalized)
);

CREATE TABLE workspaces (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    website      TEXT,
    timezone     TEXT NOT NULL DEFAULT 'UTC',
    logo_version BIGINT,
    created_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    status       TEXT NOT NULL CHECK (status IN ('active', 'removed', 'left')),
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT memberships_workspace_user_key UNIQUE (workspace_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE sessions (
    id                   TEXT PRIMARY KEY,
    user_id              TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    current_workspace_id TEXT REFERENCES workspaces (id) ON DELETE SET NULL,
    csrf_token           TEXT NOT NULL,
    ip                   TEXT,
    user_agent           TEXT,
    created_at           TIMESTAMPTZ NOT NULL,
    last_seen_at         TIMESTAMPTZ NOT NULL,
    expires_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_workspace_idx ON sessions (current_workspace_id);

CREATE TABLE sign_in_failures (
    id           TEXT PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    failed_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_key_idx ON sign_in_failures (throttle_key, failed_at);

CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    actor_type   TEXT NOT NULL CHECK (actor_type IN ('user', 'token', 'system')),
    actor_id     TEXT,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    target_name  TEXT NOT NULL,
    changes      JSONB NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_workspace_time_idx ON audit_log (workspace_id, created_at, id);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT REFERENCES workspaces (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    payload      JSONB NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_at       TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_due_idx ON jobs (status, run_at);
CREATE INDEX jobs_workspace_idx ON jobs (workspace_id);
