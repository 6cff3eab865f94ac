-- Settings → Developer: API tokens, experimental features, and the two
-- tables the public API shares across processes (rate-limit buckets and
-- idempotency keys). Kept in step with postgres/0004_developer.sql.

CREATE TABLE api_tokens (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    -- SHA-256 of the whole token; the token itself is never stored.
    token_hash     TEXT NOT NULL,
    -- The first characters of the token, shown in the list to tell tokens apart.
    token_prefix   TEXT NOT NULL,
    created_by     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     TEXT NOT NULL,
    expires_at     TEXT,
    last_used_at   TEXT,
    last_used_ip   TEXT,
    revoked_at     TEXT,
    revoked_reason TEXT CHECK (revoked_reason IN ('revoked', 'creator_removed', 'creator_left')),
    revoked_by     TEXT REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT api_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX api_tokens_workspace_idx ON api_tokens (workspace_id, created_at);
CREATE INDEX api_tokens_creator_idx ON api_tokens (workspace_id, created_by);

-- Which experimental features a workspace turned on or off: {"key": bool}.
ALTER TABLE workspaces ADD COLUMN experimental_features TEXT NOT NULL DEFAULT '{}';

-- Rate limiting by GCRA: one row per bucket holds its theoretical arrival
-- time in Unix milliseconds; `allowed` is the last decision.
CREATE TABLE rate_limits (
    bucket  TEXT PRIMARY KEY,
    tat_ms  BIGINT NOT NULL,
    allowed BOOLEAN NOT NULL
);
CREATE INDEX rate_limits_tat_idx ON rate_limits (tat_ms);

-- Idempotency-Key: the first request with a key runs, later ones replay its response.
CREATE TABLE idempotency_keys (
    scope          TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('running', 'done')),
    locked_until   TEXT NOT NULL,
    status_code    BIGINT,
    content_type   TEXT,
    response_body  BLOB,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
