-- Substring search through an index (issue 18): FTS5 tables with the
-- trigram tokenizer (case-insensitive) over the Audit Log's target names,
-- kept in step by triggers in the writing transaction. A phrase query
-- ("…") of three characters or more finds the entries containing it; the
-- query then checks the text itself as before, so results are unchanged.
-- External content: the text is read from audit_log by its rowid, not
-- stored twice. (The Members search has no such table on SQLite yet: see
-- the README's performance notes.)
-- Kept in step with postgres/0023_search_indexes.sql.
CREATE VIRTUAL TABLE audit_log_search USING fts5(
    target_name, content = 'audit_log', content_rowid = 'rowid', tokenize = 'trigram'
);
CREATE TRIGGER audit_log_search_insert AFTER INSERT ON audit_log BEGIN
    INSERT INTO audit_log_search (rowid, target_name) VALUES (new.rowid, new.target_name);
END;
CREATE TRIGGER audit_log_search_delete AFTER DELETE ON audit_log BEGIN
    INSERT INTO audit_log_search (audit_log_search, rowid, target_name) VALUES ('delete', old.rowid, old.target_name);
END;
CREATE TRIGGER audit_log_search_update AFTER UPDATE OF target_name ON audit_log BEGIN
    INSERT INTO audit_log_search (audit_log_search, rowid, target_name) VALUES ('delete', old.rowid, old.target_name);
    INSERT INTO audit_log_search (rowid, target_name) VALUES (new.rowid, new.target_name);
END;
INSERT INTO audit_log_search (audit_log_search) VALUES ('rebuild');
