-- Agents (SPEC §7) and usage (SPEC §10): the agents usage is attributed
-- to, the usage events with the credits each cost, their hourly roll-ups
-- and the threshold alerts already sent. Credits are integer milli-credits
-- (see core::money). Kept in step with sqlite/0015_agents_usage.sql.

CREATE TABLE agents (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('DRAFT', 'LIVE')),
    -- A voice ID of the voice library (the sandbox catalogue until Voices exists).
    default_voice TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX agents_workspace_idx ON agents (workspace_id, created_at);

-- Append-only, like the ledger they reconcile to.
CREATE TABLE usage_events (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type            TEXT NOT NULL CHECK (type IN ('call_minutes', 'sms', 'tts_characters',
                        'phone_number_rental', 'voice_clone', 'training')),
    -- In the type's unit (seconds of a call, SMS segments, characters, …).
    quantity        BIGINT NOT NULL CHECK (quantity >= 0),
    -- Milli-credits the rate card charged for it.
    credits         BIGINT NOT NULL CHECK (credits >= 0),
    occurred_at     TIMESTAMPTZ NOT NULL,
    -- No foreign key: usage stays (attributed to a deleted agent) when its agent goes.
    agent_id        TEXT,
    idempotency_key TEXT NOT NULL,
    -- A JSON object, as sent.
    metadata        TEXT,
    -- The usage debit (one per batch and type) that paid for it; NULL when it cost nothing.
    ledger_entry_id TEXT,
    recorded_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT usage_events_key UNIQUE (workspace_id, idempotency_key)
);
CREATE INDEX usage_events_time_idx ON usage_events (workspace_id, occurred_at, id);

-- Totals per workspace, UTC hour, type and agent, written in the ingest
-- transaction. Pages and the API sum hours into days in the workspace's
-- timezone, so a timezone change needs no rebuild.
CREATE TABLE usage_hourly (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- The start of the UTC hour.
    hour         TIMESTAMPTZ NOT NULL,
    type         TEXT NOT NULL,
    -- '' for usage with no agent (a key column cannot be NULL).
    agent_id     TEXT NOT NULL DEFAULT '',
    events       BIGINT NOT NULL,
    quantity     BIGINT NOT NULL,
    credits      BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, hour, type, agent_id)
);

-- The 50 %, 80 % and 100 % alerts of a billing cycle: the key makes each
-- one fire once per cycle, however many processes ingest at once.
CREATE TABLE usage_alerts (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    period_start TIMESTAMPTZ NOT NULL,
    threshold    INTEGER NOT NULL CHECK (threshold IN (50, 80, 100)),
    -- Milli-credits of the cycle used, and the cycle's credits, when it fired.
    used         BIGINT NOT NULL,
    allowance    BIGINT NOT NULL,
    fired_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, period_start, threshold)
);
