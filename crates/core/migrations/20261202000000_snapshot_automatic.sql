-- Snapshots a sandbox's schedule took: each sandbox keeps the newest N of them (the settings'
-- automatic_snapshots_kept), besides any retention in days.
ALTER TABLE snapshots ADD COLUMN automatic INTEGER NOT NULL DEFAULT 0;
CREATE INDEX snapshots_automatic ON snapshots(source_sandbox_id, automatic, created_at DESC);
