-- Drift (issue 18). Each difference a reconciliation finds between a workspace and what
-- Sharepack recorded is a drift finding, kept with SCD Type 2 history like every entity: a
-- version when first seen, a new one when what differs changes, a deleted version when the
-- workspace matches again. Resources Sharepack does not manage are findings of kind UNMANAGED.
CREATE TABLE IF NOT EXISTS drift_findings (
    record_id        UUID PRIMARY KEY,
    drift_finding_id UUID NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    data             JSONB NOT NULL,
    effective_from   TIMESTAMPTZ NOT NULL,
    effective_to     TIMESTAMPTZ NOT NULL,
    is_current       BOOLEAN NOT NULL,
    is_deleted       BOOLEAN NOT NULL DEFAULT FALSE,
    version          BIGINT NOT NULL CHECK (version >= 1),
    created_by       VARCHAR(255) NOT NULL,
    change_reason    VARCHAR(500) NOT NULL,
    CONSTRAINT drift_findings_key_version UNIQUE (drift_finding_id, version),
    CONSTRAINT drift_findings_validity CHECK (effective_to >= effective_from)
);
CREATE UNIQUE INDEX IF NOT EXISTS drift_findings_one_current ON drift_findings (drift_finding_id) WHERE is_current;
CREATE INDEX IF NOT EXISTS drift_findings_as_of ON drift_findings (drift_finding_id, effective_from);
CREATE INDEX IF NOT EXISTS drift_findings_current_by_name ON drift_findings (name, drift_finding_id) WHERE is_current AND NOT is_deleted;

-- A sync or reconciliation job is queued before it starts: when, by whom, for which workspace,
-- and how many deliveries it took.
ALTER TABLE sync_jobs ADD COLUMN IF NOT EXISTS queued_at TIMESTAMPTZ;
ALTER TABLE sync_jobs ADD COLUMN IF NOT EXISTS workspace_url TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_jobs ADD COLUMN IF NOT EXISTS requested_by VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE sync_jobs ADD COLUMN IF NOT EXISTS attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS sync_jobs_by_workspace ON sync_jobs (kind, workspace_url, status);

-- One holder at a time per purpose and workspace, across every portal and worker process: a
-- lease taken when free or expired, renewed while held, given back when done.
CREATE TABLE IF NOT EXISTS workspace_leases (
    purpose       VARCHAR(32) NOT NULL,
    workspace_url TEXT NOT NULL,
    holder        UUID NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (purpose, workspace_url)
);
