-- Webhooks (Standard Webhooks): endpoints with encrypted signing secrets,
-- messages (one per event, the body exactly as signed), deliveries (one per
-- message and endpoint: the durable queue, claimed under a lease) and the
-- attempts of each delivery. Kept in step with sqlite/0008_webhooks.sql.
CREATE TABLE webhook_endpoints (
    id                   TEXT PRIMARY KEY,
    workspace_id         TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    url                  TEXT NOT NULL,
    description          TEXT NOT NULL,
    -- JSON array of event types; empty means every event type.
    event_types          JSONB NOT NULL,
    enabled              BOOLEAN NOT NULL,
    disabled_reason      TEXT,
    -- XChaCha20-Poly1305 under a subkey of the server key (webhooks/secret.rs).
    secret_enc           TEXT NOT NULL,
    previous_secret_enc  TEXT,
    previous_secret_until TIMESTAMPTZ,
    -- Since when every attempt has failed; NULL after a success.
    failing_since        TIMESTAMPTZ,
    created_by           TEXT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_endpoints_workspace_idx ON webhook_endpoints (workspace_id, created_at);

CREATE TABLE webhook_messages (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    event_type   TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
    event_type      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'succeeded', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    lease_until     TIMESTAMPTZ,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
-- The claim: due pending deliveries, and sending ones whose lease ran out.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_lease_idx ON webhook_deliveries (status, lease_until);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at, id);
CREATE INDEX webhook_deliveries_message_idx ON webhook_deliveries (message_id);

CREATE TABLE webhook_attempts (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt       INTEGER NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    latency_ms    BIGINT NOT NULL,
    status_code   INTEGER,
    error         TEXT,
    request       TEXT NOT NULL,
    response_body TEXT
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, attempt);
