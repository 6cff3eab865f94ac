-- Consent and the suppression list (SPEC §12, issue 17): the workspace's
-- consent mode and keywords, the append-only consent records, and the
-- suppression list that `GET /api/v1/suppressions/check` reads.
-- Kept in step with postgres/0019_consent_suppressions.sql.

-- One row per workspace once an Admin changes something; no row means the
-- defaults (UNIVERSAL; STOP, UNSUBSCRIBE, CANCEL, END, QUIT / START).
CREATE TABLE workspace_consent_settings (
    workspace_id      TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    mode              TEXT NOT NULL DEFAULT 'UNIVERSAL' CHECK (mode IN ('UNIVERSAL', 'GRANULAR')),
    -- JSON arrays of upper-case words.
    opt_out_keywords  TEXT NOT NULL DEFAULT '["STOP","UNSUBSCRIBE","CANCEL","END","QUIT"]',
    opt_in_keywords   TEXT NOT NULL DEFAULT '["START"]',
    updated_at        TEXT NOT NULL
);

-- Append-only: a record is never changed or deleted (except with its
-- workspace). contact_id links a record to a contact when one is known
-- (no foreign key: contacts arrive with 0018 and a record outlives its
-- contact as evidence).
CREATE TABLE consent_records (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id    TEXT,
    -- E.164.
    phone         TEXT,
    -- Lower-cased.
    email         TEXT,
    channel       TEXT NOT NULL CHECK (channel IN ('CALLS', 'SMS')),
    status        TEXT NOT NULL CHECK (status IN ('OPTED_IN', 'OPTED_OUT')),
    source        TEXT NOT NULL CHECK (source IN ('IMPORT', 'API', 'KEYWORD', 'MANUAL')),
    -- The message text and its carrier message ID, a URL, a note.
    proof         TEXT NOT NULL DEFAULT '',
    -- Who: a user's or a token's name, or "System".
    actor         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    CHECK (phone IS NOT NULL OR email IS NOT NULL OR contact_id IS NOT NULL)
);
-- A phone's, an email's or a contact's history, newest first.
CREATE INDEX consent_records_phone_idx ON consent_records (workspace_id, phone, created_at, id);
CREATE INDEX consent_records_email_idx ON consent_records (workspace_id, email, created_at, id);
CREATE INDEX consent_records_contact_idx ON consent_records (workspace_id, contact_id, created_at, id);

-- The suppression list: one entry per (phone or email, channel). The check
-- reads suppressions_phone_once / suppressions_email_once (one range read).
CREATE TABLE suppressions (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- E.164.
    phone         TEXT,
    -- Lower-cased.
    email         TEXT,
    channel       TEXT NOT NULL CHECK (channel IN ('CALLS', 'SMS', 'ALL')),
    reason        TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL CHECK (source IN ('IMPORT', 'API', 'KEYWORD', 'MANUAL')),
    -- Who added it: a user's or a token's name, or "System".
    created_by    TEXT NOT NULL,
    -- The consent record (an opt-out) that wrote the entry; NULL for an
    -- entry added to the list directly (a person, the API, a list import).
    -- An opt-in (START) lifts only entries that have one.
    consent_record_id TEXT,
    -- Lower-cased phone, email and reason, for the list's search.
    search_text   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    CHECK ((phone IS NULL) <> (email IS NULL)),
    CONSTRAINT suppressions_phone_once UNIQUE (workspace_id, phone, channel),
    CONSTRAINT suppressions_email_once UNIQUE (workspace_id, email, channel)
);
-- The list, newest first (keyset on created_at, id).
CREATE INDEX suppressions_list_idx ON suppressions (workspace_id, created_at, id);
