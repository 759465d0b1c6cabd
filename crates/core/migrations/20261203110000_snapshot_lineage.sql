-- Lineage (SPEC B3) and chains that never break. Each snapshot records its image's layer count, whether that image
-- was flattened into one layer (its chain neared the engine's layer limit), and the snapshot its source sandbox was
-- restored from (id and name, kept when that snapshot is deleted).
ALTER TABLE snapshots ADD COLUMN layers INTEGER;
ALTER TABLE snapshots ADD COLUMN flattened INTEGER NOT NULL DEFAULT 0;
ALTER TABLE snapshots ADD COLUMN parent_snapshot_id TEXT;
ALTER TABLE snapshots ADD COLUMN parent_snapshot_name TEXT;

-- Where each sandbox came from: the snapshot it was restored (or started) from. A row outlives the sandbox and the
-- snapshot, so a lineage tree keeps its shape when parts of it are deleted.
CREATE TABLE sandbox_origins (
    sandbox_id    TEXT PRIMARY KEY,
    sandbox_name  TEXT NOT NULL,
    snapshot_id   TEXT,
    snapshot_name TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX sandbox_origins_by_snapshot ON sandbox_origins(snapshot_id);
