-- Rate limiting in batches (issue 18): a process reserves several of a
-- bucket's requests at once and spends them locally; `granted` is how many
-- the last reservation got (0 when refused), returned by the same upsert.
ALTER TABLE rate_limits ADD COLUMN granted BIGINT NOT NULL DEFAULT 0;
