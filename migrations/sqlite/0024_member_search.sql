-- The Members search through an index on SQLite too (issue 18): an FTS5
-- trigram table over the lower-cased name and the email of each
-- membership, kept in step by triggers in the writing transaction, like
-- audit_log_search (0023). External content, by rowid: a migration that
-- rebuilds `memberships` (or a VACUUM, which may renumber rowids of a table
-- without an INTEGER PRIMARY KEY) must end with the 'rebuild' below.
-- Kept in step with postgres/0024_member_search.sql.
CREATE VIRTUAL TABLE memberships_search USING fts5(
    member_sort, member_email, content = 'memberships', content_rowid = 'rowid', tokenize = 'trigram'
);
CREATE TRIGGER memberships_search_insert AFTER INSERT ON memberships BEGIN
    INSERT INTO memberships_search (rowid, member_sort, member_email)
    VALUES (new.rowid, new.member_sort, new.member_email);
END;
CREATE TRIGGER memberships_search_delete AFTER DELETE ON memberships BEGIN
    INSERT INTO memberships_search (memberships_search, rowid, member_sort, member_email)
    VALUES ('delete', old.rowid, old.member_sort, old.member_email);
END;
CREATE TRIGGER memberships_search_update AFTER UPDATE OF member_sort, member_email ON memberships BEGIN
    INSERT INTO memberships_search (memberships_search, rowid, member_sort, member_email)
    VALUES ('delete', old.rowid, old.member_sort, old.member_email);
    INSERT INTO memberships_search (rowid, member_sort, member_email)
    VALUES (new.rowid, new.member_sort, new.member_email);
END;
INSERT INTO memberships_search (memberships_search) VALUES ('rebuild');
