-- Kept in step with sqlite/0024_member_search.sql, which adds SQLite's
-- full-text table for the Members search; on PostgreSQL the trigram
-- indexes of 0023 serve it already.
SELECT 1;
