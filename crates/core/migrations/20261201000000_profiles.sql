-- Sandbox profiles (SPEC P1–P3): named, versioned recipes whose published versions are baked into snapshot images
-- by jobs. The images carry the records as labels, so profiles and versions come back when this database is lost.

CREATE TABLE profiles (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    -- 'manual', 'base-image' (when the base image changes) or a five-field cron expression.
    refresh_schedule   TEXT NOT NULL DEFAULT 'manual',
    created_at         TEXT NOT NULL,
    -- Last scheduled refresh tick that fired or was skipped (cron bookkeeping).
    last_schedule_tick TEXT
);

-- A profile's draft (number NULL, at most one) and its published versions (1, 2, 3…, never changed again).
CREATE TABLE profile_versions (
    id           TEXT PRIMARY KEY,
    profile_id   TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    number       INTEGER,
    -- JSON of the recipe (sbx_api::ProfileRecipe, secret values left empty: they are in the secret store).
    recipe       TEXT NOT NULL,
    -- SHA-256 of the recipe, set when published.
    digest       TEXT,
    -- The version a draft was started from.
    based_on     INTEGER,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    published_at TEXT
);
CREATE UNIQUE INDEX profile_versions_number ON profile_versions(profile_id, number);
CREATE UNIQUE INDEX profile_versions_one_draft ON profile_versions(profile_id) WHERE number IS NULL;

-- Snapshot jobs of published versions: queued → running → ready | failed, or a refresh skipped as unchanged.
CREATE TABLE profile_jobs (
    id               TEXT PRIMARY KEY,
    version_id       TEXT NOT NULL REFERENCES profile_versions(id) ON DELETE CASCADE,
    trigger          TEXT NOT NULL,           -- publish | refresh | schedule | base-image
    forced           INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL,           -- queued | running | ready | failed | unchanged
    stage            TEXT NOT NULL DEFAULT '',
    error            TEXT,
    -- The setup log and each step, appended as the job runs.
    output           TEXT NOT NULL DEFAULT '',
    -- The one-off sandbox the job made, while it exists.
    sandbox          TEXT,
    image            TEXT,
    image_id         TEXT,
    base_image_id    TEXT,
    digest           TEXT,
    queued_at        TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    -- When a replaced snapshot's image was removed (once no sandbox used it).
    image_removed_at TEXT
);
-- P2: one queued or running job per version, enforced by the database across processes.
CREATE UNIQUE INDEX profile_jobs_one_in_flight ON profile_jobs(version_id)
    WHERE status IN ('queued', 'running');
CREATE INDEX profile_jobs_by_version ON profile_jobs(version_id, queued_at DESC);
CREATE INDEX profile_jobs_queued ON profile_jobs(status, queued_at) WHERE status IN ('queued', 'running');
