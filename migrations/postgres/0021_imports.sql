-- CSV imports (issue 17): a file uploaded to the file store
-- (workspaces/<ws>/imports/<id>.csv), its column mapping, and the run's
-- progress; the rows that failed, for the errors CSV. What is imported
-- (contacts, suppressions) is the target's business, not these tables'.
-- Kept in step with sqlite/0020_imports.sql.

CREATE TABLE imports (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- The target: 'contacts' or 'suppressions'.
    kind          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('UPLOADED', 'QUEUED', 'RUNNING', 'DONE', 'FAILED')),
    file_name     TEXT NOT NULL DEFAULT '',
    -- The file store key of the uploaded CSV.
    file_key      TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    -- ',', ';' or a tab.
    separator     TEXT NOT NULL,
    -- JSON array of the header row's cells.
    header        TEXT NOT NULL,
    -- JSON array, one entry per column: a target field name or null (ignored).
    mapping       TEXT NOT NULL,
    -- 'UPDATE' or 'SKIP': what a row whose key already exists does.
    on_duplicate  TEXT NOT NULL DEFAULT 'SKIP' CHECK (on_duplicate IN ('UPDATE', 'SKIP')),
    -- ISO 3166 alpha-2: the country national phone numbers are read in.
    default_country TEXT NOT NULL DEFAULT 'US',
    rows_read     BIGINT NOT NULL DEFAULT 0,
    created_count BIGINT NOT NULL DEFAULT 0,
    updated_count BIGINT NOT NULL DEFAULT 0,
    skipped_count BIGINT NOT NULL DEFAULT 0,
    failed_count  BIGINT NOT NULL DEFAULT 0,
    -- Where the last committed batch ended: the byte offset in the file
    -- (a record boundary) and the spreadsheet row number of its last row;
    -- a retried run resumes there.
    bytes_read    BIGINT NOT NULL DEFAULT 0,
    last_row      BIGINT NOT NULL DEFAULT 1,
    -- Why the import failed as a whole, for people.
    error         TEXT,
    created_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ
);
CREATE INDEX imports_workspace_idx ON imports (workspace_id, created_at);

-- One per failed row: its spreadsheet row number (the header is row 1),
-- the cells as they were, and the messages.
CREATE TABLE import_row_errors (
    import_id     TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    row_number    BIGINT NOT NULL,
    -- JSON array of the row's cells.
    cells         TEXT NOT NULL,
    -- JSON array of {"field", "message"}.
    errors        TEXT NOT NULL,
    PRIMARY KEY (import_id, row_number)
);
CREATE INDEX import_row_errors_workspace_idx ON import_row_errors (workspace_id);
