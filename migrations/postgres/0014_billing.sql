-- Settings → Subscription (SPEC §11): the subscription, the credits ledger
-- and its balance row, invoices, and the payment processor's events already
-- handled. Money is integer US cents (`*_cents`), credits integer
-- milli-credits (see core::money). Kept in step with sqlite/0014_billing.sql.

-- One per workspace, created with it (a trial of the configured trial plan).
CREATE TABLE subscriptions (
    workspace_id          TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    -- A key of the plan table (configuration, see src/subscription/plans.rs).
    plan_key              TEXT NOT NULL,
    cycle                 TEXT NOT NULL CHECK (cycle IN ('monthly', 'annual')),
    status                TEXT NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
    trial_ends_at         TIMESTAMPTZ,
    trial_reminder_sent_at TIMESTAMPTZ,
    period_start          TIMESTAMPTZ NOT NULL,
    period_end            TIMESTAMPTZ NOT NULL,
    -- A downgrade or cycle change that applies at period_end.
    scheduled_plan_key    TEXT,
    scheduled_cycle       TEXT CHECK (scheduled_cycle IN ('monthly', 'annual')),
    cancel_at_period_end  BOOLEAN NOT NULL DEFAULT FALSE,
    -- Which processor holds the customer (`sandbox`, `stripe`) and its IDs there.
    processor             TEXT NOT NULL,
    customer_ref          TEXT,
    subscription_ref      TEXT,
    -- The payment method: only what may be shown (brand, last four) and
    -- the processor's reference to it; never a card number.
    payment_method_ref    TEXT,
    card_brand            TEXT,
    card_last4            TEXT,
    -- The last invoice number handed out (invoices are numbered per workspace).
    invoice_counter       BIGINT NOT NULL DEFAULT 0,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX subscriptions_period_end_idx ON subscriptions (period_end);

-- The ledger's running sums, updated in the transaction that appends an
-- entry (the row is locked first, so concurrent debits serialise on it).
-- balance = cycle_credits + top_up_credits = the sum of the entries.
CREATE TABLE credit_balances (
    workspace_id              TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    -- Credits of the current cycle (spent first, expire at its end).
    cycle_credits             BIGINT NOT NULL DEFAULT 0,
    -- Top-ups and everything else; never expire; negative when overdrawn.
    top_up_credits            BIGINT NOT NULL DEFAULT 0,
    -- Entries so far: the next entry's `seq` is entry_count + 1.
    entry_count               BIGINT NOT NULL DEFAULT 0,
    -- credits.low fires when a debit takes the balance below this (10 % of
    -- the last cycle grant), unless auto-recharge's threshold applies.
    low_balance_threshold     BIGINT NOT NULL DEFAULT 0,
    auto_recharge_enabled     BOOLEAN NOT NULL DEFAULT FALSE,
    auto_recharge_threshold   BIGINT NOT NULL DEFAULT 0,
    auto_recharge_amount      BIGINT NOT NULL DEFAULT 0,
    auto_recharge_monthly_cap BIGINT NOT NULL DEFAULT 0,
    -- Why auto-recharge turned itself off (a failed payment), shown on the page.
    auto_recharge_disabled_reason TEXT,
    updated_at                TIMESTAMPTZ NOT NULL
);

-- Append-only: entries are never updated or deleted (except with their workspace).
CREATE TABLE credit_entries (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- 1, 2, 3 … per workspace: the order of the entries, and the ledger's page key.
    seq             BIGINT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('cycle_grant', 'top_up', 'usage', 'number_rental',
                        'voice_clone', 'adjustment', 'expiry', 'refund')),
    -- Signed: grants positive, debits negative. amount = cycle_part + top_up_part.
    amount          BIGINT NOT NULL,
    cycle_part      BIGINT NOT NULL,
    top_up_part     BIGINT NOT NULL,
    balance_after   BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    description     TEXT NOT NULL,
    -- What the entry is for (an invoice, a number, a call), when there is one.
    reference       TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT credit_entries_key UNIQUE (workspace_id, idempotency_key),
    CONSTRAINT credit_entries_seq UNIQUE (workspace_id, seq)
);
CREATE INDEX credit_entries_kind_idx ON credit_entries (workspace_id, kind, created_at);

CREATE TABLE invoices (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- Prefix and per-workspace sequence, e.g. SB-4F2A-0007.
    number          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
    -- subscription (a renewal or a first charge), proration, top_up, auto_recharge
    kind            TEXT NOT NULL,
    currency        TEXT NOT NULL DEFAULT 'usd',
    total_cents     BIGINT NOT NULL,
    -- Makes a renewal's or a top-up's invoice exactly one, however often it is retried.
    idempotency_key TEXT NOT NULL,
    period_start    TIMESTAMPTZ,
    period_end      TIMESTAMPTZ,
    processor_ref   TEXT,
    failure_message TEXT,
    issued_at       TIMESTAMPTZ NOT NULL,
    paid_at         TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT invoices_number_key UNIQUE (workspace_id, number),
    CONSTRAINT invoices_idempotency_key UNIQUE (workspace_id, idempotency_key)
);
CREATE INDEX invoices_workspace_idx ON invoices (workspace_id, issued_at);
CREATE INDEX invoices_processor_ref_idx ON invoices (processor_ref);

CREATE TABLE invoice_lines (
    invoice_id   TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    description  TEXT NOT NULL,
    quantity     BIGINT NOT NULL,
    unit_cents   BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    PRIMARY KEY (invoice_id, position)
);
CREATE INDEX invoice_lines_workspace_idx ON invoice_lines (workspace_id);

-- Payment-processor events already handled (Stripe `evt_…`), so a replay is a no-op.
-- Not workspace data: an event may arrive for a workspace already deleted.
CREATE TABLE processor_events (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX processor_events_received_idx ON processor_events (received_at);
