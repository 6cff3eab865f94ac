-- Substring search through an index (issue 18): the Audit Log's search in
-- target names and the Members list's search in names and emails were
-- scans. Trigram GIN indexes on the lower-cased text serve `LIKE '%…%'`
-- for terms of three characters or more; PostgreSQL keeps them in step in
-- the writing transaction. Kept in step with sqlite/0023_search_indexes.sql.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX audit_log_target_name_trgm_idx ON audit_log USING gin (lower(target_name) gin_trgm_ops);
CREATE INDEX memberships_sort_trgm_idx ON memberships USING gin (member_sort gin_trgm_ops);
CREATE INDEX memberships_email_trgm_idx ON memberships USING gin (member_email gin_trgm_ops);
