-- Phone numbers and BYOC (SPEC §8): the carrier accounts a workspace
-- connected, its numbers (bought through the platform's carrier or
-- imported from a connected account) with their assignment to agents,
-- and the SMS that came in to them. Credits are integer milli-credits.
-- Kept in step with sqlite/0016_phone_numbers.sql.

CREATE TABLE carrier_accounts (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    carrier         TEXT NOT NULL CHECK (carrier IN ('twilio', 'telnyx', 'sip')),
    -- The carrier's own name for the account (a Twilio AccountSid, a
    -- fingerprint of a Telnyx key, a SIP trunk's termination host): what
    -- makes "one account links to one workspace once" checkable.
    account_ref     TEXT NOT NULL,
    -- What the page shows: the account's friendly name or a masked ID.
    label           TEXT NOT NULL,
    -- JSON of the credentials, sealed (crate::sealed) for purpose
    -- "carrier_account" with the row's ID; never shown or returned.
    credentials_sealed TEXT NOT NULL,
    -- JSON of what is not secret (a SIP trunk's URI and allowed origins).
    settings        TEXT NOT NULL DEFAULT '{}',
    status          TEXT NOT NULL CHECK (status IN ('CONNECTED', 'DISCONNECTED')),
    verified_at     TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    disconnected_at TIMESTAMPTZ
);
CREATE INDEX carrier_accounts_workspace_idx ON carrier_accounts (workspace_id, created_at);
CREATE UNIQUE INDEX carrier_accounts_once ON carrier_accounts (carrier, account_ref) WHERE status = 'CONNECTED';

CREATE TABLE phone_numbers (
    id                 TEXT PRIMARY KEY,
    workspace_id       TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    e164               TEXT NOT NULL,
    friendly_name      TEXT NOT NULL DEFAULT '',
    -- ISO 3166-1 alpha-2.
    country            TEXT NOT NULL,
    number_type        TEXT NOT NULL CHECK (number_type IN ('LOCAL', 'NATIONAL', 'MOBILE', 'TOLL_FREE')),
    -- Comma-separated, in this order: voice,sms,mms.
    capabilities       TEXT NOT NULL,
    source             TEXT NOT NULL CHECK (source IN ('PLATFORM', 'IMPORTED')),
    -- sandbox, twilio, telnyx or sip.
    carrier            TEXT NOT NULL,
    -- Imported numbers: the connected account they came from.
    carrier_account_id TEXT REFERENCES carrier_accounts (id),
    -- The carrier's ID for the number (Twilio PN…, a Telnyx ID), once known.
    carrier_ref        TEXT,
    -- A carrier order still completing (Telnyx number orders are asynchronous).
    carrier_order_ref  TEXT,
    -- Milli-credits a month; 0 for imported numbers (the carrier bills the customer).
    monthly_price      BIGINT NOT NULL DEFAULT 0 CHECK (monthly_price >= 0),
    status             TEXT NOT NULL CHECK (status IN ('PENDING', 'ACTIVE', 'PAST_DUE', 'FAILED', 'RELEASED', 'DISCONNECTED')),
    -- Why an order failed or a release at the carrier did not go through, for people.
    status_detail      TEXT,
    allow_outbound     BOOLEAN NOT NULL DEFAULT TRUE,
    -- At most one agent per role, and (unique below) one number per role per agent.
    inbound_agent_id   TEXT REFERENCES agents (id) ON DELETE SET NULL,
    outbound_agent_id  TEXT REFERENCES agents (id) ON DELETE SET NULL,
    sms_agent_id       TEXT REFERENCES agents (id) ON DELETE SET NULL,
    -- Platform numbers: the paid period [period_start, renews_on).
    period_start       TIMESTAMPTZ,
    renews_on          TIMESTAMPTZ,
    past_due_since     TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    released_at        TIMESTAMPTZ
);
CREATE INDEX phone_numbers_workspace_idx ON phone_numbers (workspace_id, created_at);
-- A number lives in one workspace only, while it is live anywhere.
CREATE UNIQUE INDEX phone_numbers_live_e164 ON phone_numbers (e164)
    WHERE status IN ('PENDING', 'ACTIVE', 'PAST_DUE');
CREATE UNIQUE INDEX phone_numbers_inbound_agent ON phone_numbers (inbound_agent_id);
CREATE UNIQUE INDEX phone_numbers_outbound_agent ON phone_numbers (outbound_agent_id);
CREATE UNIQUE INDEX phone_numbers_sms_agent ON phone_numbers (sms_agent_id);
-- The renewal job's scan: platform numbers due, oldest first.
CREATE INDEX phone_numbers_renewal_idx ON phone_numbers (renews_on) WHERE status IN ('ACTIVE', 'PAST_DUE');
CREATE INDEX phone_numbers_account_idx ON phone_numbers (carrier_account_id);

-- Inbound SMS, kept for the Audiences issue's opt-out keywords. The
-- carrier's message ID makes a replayed callback one row.
CREATE TABLE inbound_messages (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    phone_number_id TEXT NOT NULL REFERENCES phone_numbers (id) ON DELETE CASCADE,
    carrier         TEXT NOT NULL,
    carrier_ref     TEXT NOT NULL,
    from_number     TEXT NOT NULL,
    body            TEXT NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT inbound_messages_once UNIQUE (carrier, carrier_ref)
);
CREATE INDEX inbound_messages_workspace_idx ON inbound_messages (workspace_id, received_at);
