-- Contacts (SPEC §12, issue 17): the workspace's custom contact attributes
-- and its contacts. Both go with their workspace (ON DELETE CASCADE).
-- Kept in step with sqlite/0018_contacts.sql.

CREATE TABLE contact_attributes (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- Lower-case snake_case, what API clients and imports name it by.
    key           TEXT NOT NULL,
    label         TEXT NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('text', 'number', 'boolean', 'date', 'enum')),
    -- JSON array of the allowed values of an `enum` attribute; `[]` otherwise.
    options       TEXT NOT NULL DEFAULT '[]',
    required      BOOLEAN NOT NULL DEFAULT FALSE,
    -- Order on forms and in lists.
    position      BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    CONSTRAINT contact_attributes_key UNIQUE (workspace_id, key)
);

CREATE TABLE contacts (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- E.164; NULL for a contact known by email only.
    phone         TEXT,
    -- Lower-cased.
    email         TEXT,
    name          TEXT NOT NULL DEFAULT '',
    -- JSON object: attribute key → value (typed by the attribute).
    attributes    TEXT NOT NULL DEFAULT '{}',
    -- Lower-cased name, email and phone digits, for `q` (LIKE; no ILIKE).
    search        TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
-- NULLs are distinct, so contacts without a phone do not collide.
CREATE UNIQUE INDEX contacts_phone ON contacts (workspace_id, phone);
CREATE INDEX contacts_email_idx ON contacts (workspace_id, email);
-- Keyset pages, newest first.
CREATE INDEX contacts_page_idx ON contacts (workspace_id, created_at, id);
