-- Jobs: when a job reached `done` or `failed` (old done jobs are deleted by
-- the worker), and an index for finding expired leases.
ALTER TABLE jobs ADD COLUMN finished_at TIMESTAMPTZ;
CREATE INDEX jobs_finished_idx ON jobs (status, finished_at);
CREATE INDEX jobs_lease_idx ON jobs (status, locked_until);
