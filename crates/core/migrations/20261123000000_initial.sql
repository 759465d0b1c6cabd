-- Sandbox Desktop's records. Docker is the truth for container state; this holds what Docker cannot:
-- configuration, long work (jobs), snapshot records, schedules, repository defaults and the runner lease.

CREATE TABLE sandboxes (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    -- JSON of the resolved configuration (crate::sandbox::SandboxSpec); also on the container as a label.
    spec            TEXT NOT NULL,
    container_id    TEXT,
    -- Outcome of creation: 'creating' while the create job runs, 'created' after, 'failed' when it failed.
    phase           TEXT NOT NULL,
    failure         TEXT,
    created_at      TEXT NOT NULL,
    -- Last time the idle check saw the sandbox busy (exec session or CPU above the threshold).
    last_active_at  TEXT,
    -- Last automatic snapshot tick that fired or was skipped (cron bookkeeping).
    last_schedule_tick TEXT
);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    target       TEXT NOT NULL,
    status       TEXT NOT NULL,             -- running | succeeded | failed
    stage        TEXT NOT NULL DEFAULT '',
    message      TEXT NOT NULL DEFAULT '',
    error        TEXT,
    owner        TEXT NOT NULL,             -- process token of the process doing the work
    heartbeat_at TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX jobs_running ON jobs(status) WHERE status = 'running';

CREATE TABLE snapshots (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    source_template     TEXT NOT NULL,
    source_sandbox_id   TEXT NOT NULL,
    source_sandbox_name TEXT NOT NULL,
    repository          TEXT,
    status              TEXT NOT NULL,      -- capturing | finalizing | active | failed
    failure_reason      TEXT,
    created_at          TEXT NOT NULL,
    expires_at          TEXT,
    size_bytes          INTEGER,
    mode                TEXT NOT NULL,      -- scrub | full
    consistency         TEXT NOT NULL,      -- application | crash
    image               TEXT,
    -- JSON of the configuration a restore starts from (crate::sandbox::SandboxSpec, secrets removed when scrubbed).
    spec                TEXT NOT NULL,
    job_id              TEXT
);
-- N3: one snapshot in flight per sandbox, enforced by the database across processes.
CREATE UNIQUE INDEX snapshots_one_in_flight ON snapshots(source_sandbox_id)
    WHERE status IN ('capturing', 'finalizing');
CREATE INDEX snapshots_created ON snapshots(created_at DESC, id);
CREATE INDEX snapshots_by_sandbox ON snapshots(source_sandbox_name, created_at DESC);

-- Restores in flight, so that deleting a snapshot can wait for them (N6).
CREATE TABLE restores (
    job_id      TEXT PRIMARY KEY,
    snapshot_id TEXT NOT NULL,
    started_at  TEXT NOT NULL
);

CREATE TABLE repositories (
    root              TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    -- Default snapshot set in the app; wins over [sandbox] snapshot in .amika/config.toml.
    default_snapshot  TEXT,
    sandboxes_created INTEGER NOT NULL DEFAULT 0,
    last_used_at      TEXT
);

-- One background runner at a time (idle jobs, automatic snapshots, the reaper), whatever process holds it.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL             -- unix milliseconds
);
