-- Sharepack schema, version 1: the seed's sixteen tables (eleven SCD Type 2 entities, five
-- append-only logs) and the workflow's own tables. Every statement is idempotent.
-- Runs in the `deltashare` schema (the connection's search_path).

-- SCD Type 2 entities: a row per version; the business key is stable, record_id is per version.
-- effective_to is 9999-12-31T23:59:59Z while a version is current.

-- Business lines (e.g. Corporate Finance) that own projects and data.
CREATE TABLE IF NOT EXISTS tenants (
    record_id      UUID PRIMARY KEY,
    tenant_id      UUID NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    data           JSONB NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    effective_to   TIMESTAMPTZ NOT NULL,
    is_current     BOOLEAN NOT NULL,
    is_deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    version        BIGINT NOT NULL CHECK (version >= 1),
    created_by     VARCHAR(255) NOT NULL,
    change_reason  VARCHAR(500) NOT NULL,
    CONSTRAINT tenants_key_version UNIQUE (tenant_id, version),
    CONSTRAINT tenants_validity CHECK (effective_to >= effective_from)
);
-- At most one current version per key: concurrent writers cannot both win.
CREATE UNIQUE INDEX IF NOT EXISTS tenants_one_current ON tenants (tenant_id) WHERE is_current;
-- Point-in-time reads of one key.
CREATE INDEX IF NOT EXISTS tenants_as_of ON tenants (tenant_id, effective_from);
-- Pages of current rows by name.
CREATE INDEX IF NOT EXISTS tenants_current_by_name ON tenants (name, tenant_id) WHERE is_current AND NOT is_deleted;

-- A tenant's Databricks workspace per region: the workspace URL share packs are provisioned to.
CREATE TABLE IF NOT EXISTS tenant_regions (
    record_id      UUID PRIMARY KEY,
    tenant_region_id UUID NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    data           JSONB NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    effective_to   TIMESTAMPTZ NOT NULL,
    is_current     BOOLEAN NOT NULL,
    is_deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    version        BIGINT NOT NULL CHECK (version >= 1),
    created_by     VARCHAR(255) NOT NULL,
    change_reason  VARCHAR(500) NOT NULL,
    CONSTRAINT tenant_regions_key_version UNIQUE (tenant_region_id, version),
    CONSTRAINT tenant_regions_validity CHECK (effective_to >= effective_from)
);
-- At most one current version per key: concurrent writers cannot both win.
CREATE UNIQUE INDEX IF NOT EXISTS tenant_regions_one_current ON tenant_regions (tenant_region_id) WHERE is_current;
-- Point-in-time reads of one key.
CREATE INDEX IF NOT EXISTS tenant_regions_as_of ON tenant_regions (tenant_region_id, effective_from);
-- Pages of current rows by name.
CREATE INDEX IF NOT EXISTS tenant_regions_current_by_name ON tenant_regions (name, tenant_region_id) WHERE is_current AND NOT is_deleted;

-- Data projects within a tenant; a share pack belongs to one.
CREATE TABLE IF NOT EXISTS projects (
    record_id      UUID PRIMARY KEY,
    project_id     UUID NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    data           JSONB NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    effective_to   TIMESTAMPTZ NOT NULL,
    is_current     BOOLEAN NOT NULL,
    is_deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    version        BIGINT NOT NULL CHECK (version >= 1),
    created_by     VARCHAR(255) NOT NULL,
    change_reason  VARCHAR(500) NOT NULL,
    CONSTRAINT projects_key_version UNIQUE (project_id, version),
    CONSTRAINT projects_validity CHECK (effective_to >= effective_from)
);
-- At most one current version per key: concurrent writers cannot both win.
CREATE UNIQUE INDEX IF NOT EXISTS projects_one_current ON projects (project_id) WHERE is_current;
-- Point-in-time reads of one key.
CREATE INDEX IF NOT EXISTS projects_as_of ON projects (project_id, effective_from);
-- Pages of current rows by name.
CREATE INDEX IF NOT EXISTS projects_current_by_name ON projects (name, project_id) WHERE is_current AND NOT is_deleted;

-- Provisioning requests: one per submitted share-pack version, tying requestor, project and run together.
CREATE TABLE IF NOT EXISTS requests (
    record_id      UUID PRIMARY KEY,
    request_id     UUID NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    data           JSONB NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    effective_to   TIMESTAMPTZ NOT NULL,
    is_current     BOOLEAN NOT NULL,
    is_deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    version        BIGINT NOT NULL CHECK (version >= 1),
    created_by     VARCHAR(255) NOT NULL,
    change_reason  VARCHAR(500) NOT NULL,
    CONSTRAINT requests_key_version UNIQUE (request_id, version),
    CONSTRAINT requests_validity CHECK (effective_to >= effective_from)
);
-- At most one current version per key: concurrent writers cannot both win.
CREATE UNIQUE INDEX IF NOT EXISTS requests_one_current ON requests (request_id) WHERE is_current;
-- Point-in-time reads of one key.
CREATE INDEX IF NOT EXISTS requests_as_of ON requests (request_id, effective_from);
-- Pages of current rows by name.
CREATE INDEX IF NOT EXISTS requests_current_by_name ON requests (name, request_id) WHERE is_current AND NOT is_deleted;

-- Share packs: name, status, strategy, requestor; each version is one upload of the pack.
CREATE TABLE IF NOT EXISTS share_packs (
    record_id      UUID PRIMARY KEY,
    share_pack_id  UUID NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    data           JSONB NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    effective_to   TIMESTAMPTZ NOT NULL,
    is_current     BOOLEAN NOT NULL,
    is_deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    version        BIGINT NOT NULL CHECK (version >= 1),
    created_by     VARCHAR(255) NOT NULL,
    change_reason  VARCHAR(500) NOT NULL,
    CONSTRAINT share_packs_key_version UNIQUE (share_pack_id, version),
    CONSTRAINT share_packs_validity CHECK (effective_to >= effective_from)
);
-- At most one current version per key: concurrent writers cannot both win.
CREATE UNIQUE INDEX IF NOT EXISTS share_packs_one_current ON share_packs (share_pack_id) WHERE is_current;
-- Point-in-time reads of one key.
CREATE INDEX IF NOT EXISTS share_packs_as_of ON share_packs (share_pack_id, effective_from);
-- Pages of current rows by name.
CREATE INDEX IF NOT EXISTS share_packs_current_by_name ON share_packs (name, share_pack_id) WHERE is_current AND NOT is_deleted;

-- Delta Sharing recipients (D2O or D2D) as provisioned, keyed by workspace and name.
CREATE TABLE IF NOT EXISTS recipients (
    record_id      UUID PRIMARY KEY,
    recipient_id   UUID NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    data           JSONB NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    effective_to   TIMESTAMPTZ NOT NULL,
    is_current     BOOLEAN NOT NULL,
    is_deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    version        BIGINT NOT NULL CHECK (version >= 1),
    created_by     VARCHAR(255) NOT NULL,
    change_reason  VARCHAR(500) NOT NULL,
    CONSTRAINT recipients_key_version UNIQUE (recipient_id, version),
    CONSTRAINT recipients_validity CHECK (effective_to >= effective_from)
);
-- At most one current version per key: concurrent writers cannot both win.
CREATE UNIQUE INDEX IF NOT EXISTS recipients_one_current ON recipients (recipient_id) WHERE is_current;
-- Point-in-time reads of one key.
CREATE INDEX IF NOT EXISTS recipients_as_of ON recipients (recipient_id, effective_from);
-- Pages of current rows by name.
CREATE INDEX IF NOT EXISTS recipients_current_by_name ON recipients (name, recipient_id) WHERE is_current AND NOT is_deleted;

-- Delta Sharing shares with their data objects and grants, as provisioned.
CREATE TABLE IF NOT EXISTS shares (
    record_id      UUID PRIMARY KEY,
    share_id       UUID NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    data           JSONB NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    effective_to   TIMESTAMPTZ NOT NULL,
    is_current     BOOLEAN NOT NULL,
    is_deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    version        BIGINT NOT NULL CHECK (version >= 1),
    created_by     VARCHAR(255) NOT NULL,
    change_reason  VARCHAR(500) NOT NULL,
    CONSTRAINT shares_key_version UNIQUE (share_id, version),
    CONSTRAINT shares_validity CHECK (effective_to >= effective_from)
);
-- At most one current version per key: concurrent writers cannot both win.
CREATE UNIQUE INDEX IF NOT EXISTS shares_one_current ON shares (share_id) WHERE is_current;
-- Point-in-time reads of one key.
CREATE INDEX IF NOT EXISTS shares_as_of ON shares (share_id, effective_from);
-- Pages of current rows by name.
CREATE INDEX IF NOT EXISTS shares_current_by_name ON shares (name, share_id) WHERE is_current AND NOT is_deleted;

-- Data pipelines named by share packs (recorded, not provisioned yet).
CREATE TABLE IF NOT EXISTS pipelines (
    record_id      UUID PRIMARY KEY,
    pipeline_id    UUID NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    data           JSONB NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    effective_to   TIMESTAMPTZ NOT NULL,
    is_current     BOOLEAN NOT NULL,
    is_deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    version        BIGINT NOT NULL CHECK (version >= 1),
    created_by     VARCHAR(255) NOT NULL,
    change_reason  VARCHAR(500) NOT NULL,
    CONSTRAINT pipelines_key_version UNIQUE (pipeline_id, version),
    CONSTRAINT pipelines_validity CHECK (effective_to >= effective_from)
);
-- At most one current version per key: concurrent writers cannot both win.
CREATE UNIQUE INDEX IF NOT EXISTS pipelines_one_current ON pipelines (pipeline_id) WHERE is_current;
-- Point-in-time reads of one key.
CREATE INDEX IF NOT EXISTS pipelines_as_of ON pipelines (pipeline_id, effective_from);
-- Pages of current rows by name.
CREATE INDEX IF NOT EXISTS pipelines_current_by_name ON pipelines (name, pipeline_id) WHERE is_current AND NOT is_deleted;

-- Users synchronised from the directory (future sync).
CREATE TABLE IF NOT EXISTS users (
    record_id      UUID PRIMARY KEY,
    user_id        UUID NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    data           JSONB NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    effective_to   TIMESTAMPTZ NOT NULL,
    is_current     BOOLEAN NOT NULL,
    is_deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    version        BIGINT NOT NULL CHECK (version >= 1),
    created_by     VARCHAR(255) NOT NULL,
    change_reason  VARCHAR(500) NOT NULL,
    CONSTRAINT users_key_version UNIQUE (user_id, version),
    CONSTRAINT users_validity CHECK (effective_to >= effective_from)
);
-- At most one current version per key: concurrent writers cannot both win.
CREATE UNIQUE INDEX IF NOT EXISTS users_one_current ON users (user_id) WHERE is_current;
-- Point-in-time reads of one key.
CREATE INDEX IF NOT EXISTS users_as_of ON users (user_id, effective_from);
-- Pages of current rows by name.
CREATE INDEX IF NOT EXISTS users_current_by_name ON users (name, user_id) WHERE is_current AND NOT is_deleted;

-- Directory groups synchronised from Entra ID (future sync).
CREATE TABLE IF NOT EXISTS ad_groups (
    record_id      UUID PRIMARY KEY,
    ad_group_id    UUID NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    data           JSONB NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    effective_to   TIMESTAMPTZ NOT NULL,
    is_current     BOOLEAN NOT NULL,
    is_deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    version        BIGINT NOT NULL CHECK (version >= 1),
    created_by     VARCHAR(255) NOT NULL,
    change_reason  VARCHAR(500) NOT NULL,
    CONSTRAINT ad_groups_key_version UNIQUE (ad_group_id, version),
    CONSTRAINT ad_groups_validity CHECK (effective_to >= effective_from)
);
-- At most one current version per key: concurrent writers cannot both win.
CREATE UNIQUE INDEX IF NOT EXISTS ad_groups_one_current ON ad_groups (ad_group_id) WHERE is_current;
-- Point-in-time reads of one key.
CREATE INDEX IF NOT EXISTS ad_groups_as_of ON ad_groups (ad_group_id, effective_from);
-- Pages of current rows by name.
CREATE INDEX IF NOT EXISTS ad_groups_current_by_name ON ad_groups (name, ad_group_id) WHERE is_current AND NOT is_deleted;

-- Catalogs, schemas and tables seen in workspaces (future sync).
CREATE TABLE IF NOT EXISTS databricks_objects (
    record_id      UUID PRIMARY KEY,
    databricks_object_id UUID NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    data           JSONB NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    effective_to   TIMESTAMPTZ NOT NULL,
    is_current     BOOLEAN NOT NULL,
    is_deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    version        BIGINT NOT NULL CHECK (version >= 1),
    created_by     VARCHAR(255) NOT NULL,
    change_reason  VARCHAR(500) NOT NULL,
    CONSTRAINT databricks_objects_key_version UNIQUE (databricks_object_id, version),
    CONSTRAINT databricks_objects_validity CHECK (effective_to >= effective_from)
);
-- At most one current version per key: concurrent writers cannot both win.
CREATE UNIQUE INDEX IF NOT EXISTS databricks_objects_one_current ON databricks_objects (databricks_object_id) WHERE is_current;
-- Point-in-time reads of one key.
CREATE INDEX IF NOT EXISTS databricks_objects_as_of ON databricks_objects (databricks_object_id, effective_from);
-- Pages of current rows by name.
CREATE INDEX IF NOT EXISTS databricks_objects_current_by_name ON databricks_objects (name, databricks_object_id) WHERE is_current AND NOT is_deleted;

-- Append-only logs: rows are inserted, never updated.

-- Pipeline job runs and their figures (future metrics collection).
CREATE TABLE IF NOT EXISTS job_metrics (
    metric_id    UUID PRIMARY KEY,
    pipeline_id  UUID,
    job_name     TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    status       TEXT NOT NULL,
    rows_written BIGINT,
    data         JSONB NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS job_metrics_by_pipeline ON job_metrics (pipeline_id, started_at);

-- Cost per project and period (future Azure cost collection).
CREATE TABLE IF NOT EXISTS project_costs (
    cost_id      UUID PRIMARY KEY,
    project_id   UUID NOT NULL,
    period_start TIMESTAMPTZ NOT NULL,
    period_end   TIMESTAMPTZ NOT NULL,
    amount       NUMERIC(18, 4) NOT NULL,
    currency     VARCHAR(3) NOT NULL,
    data         JSONB NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS project_costs_by_project ON project_costs (project_id, period_start);

-- Runs of the synchronisation jobs (directory, workspace objects, metrics).
CREATE TABLE IF NOT EXISTS sync_jobs (
    sync_job_id  UUID PRIMARY KEY,
    kind         TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    status       TEXT NOT NULL,
    items        BIGINT NOT NULL DEFAULT 0,
    error        TEXT,
    data         JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_jobs_by_kind ON sync_jobs (kind, started_at);

-- Notifications sent (or attempted) to users.
CREATE TABLE IF NOT EXISTS notifications (
    notification_id UUID PRIMARY KEY,
    recipient       TEXT NOT NULL,
    channel         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    status          TEXT NOT NULL,
    related_id      UUID,
    data            JSONB NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_by_related ON notifications (related_id, created_at);

-- Who did what to which entity, when and why, with the correlation id of the request or run.
CREATE TABLE IF NOT EXISTS audit_trail (
    audit_id       UUID PRIMARY KEY,
    occurred_at    TIMESTAMPTZ NOT NULL,
    actor          VARCHAR(255) NOT NULL,
    action         TEXT NOT NULL,
    entity_type    TEXT NOT NULL,
    entity_id      UUID,
    version        BIGINT,
    correlation_id UUID,
    reason         VARCHAR(500) NOT NULL DEFAULT '',
    details        JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_trail_by_entity ON audit_trail (entity_type, entity_id, occurred_at);
CREATE INDEX IF NOT EXISTS audit_trail_by_time ON audit_trail (occurred_at);
CREATE INDEX IF NOT EXISTS audit_trail_by_correlation ON audit_trail (correlation_id);

-- Workflow tables beside the seed's sixteen.

-- The uploaded file and its parsed content, per share-pack version.
CREATE TABLE IF NOT EXISTS share_pack_files (
    share_pack_id UUID NOT NULL,
    version       BIGINT NOT NULL,
    file_name     TEXT NOT NULL,
    format        VARCHAR(10) NOT NULL,
    content       BYTEA NOT NULL,
    parsed        JSONB NOT NULL,
    uploaded_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (share_pack_id, version)
);

-- Provisioning runs: one application of a share-pack version's plan to a workspace.
CREATE TABLE IF NOT EXISTS provisioning_runs (
    run_id         UUID PRIMARY KEY,
    share_pack_id  UUID NOT NULL,
    version        BIGINT NOT NULL,
    workspace_url  TEXT NOT NULL,
    status         VARCHAR(32) NOT NULL,
    strategy       VARCHAR(10) NOT NULL,
    requested_by   VARCHAR(255) NOT NULL,
    correlation_id UUID NOT NULL,
    error          TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS provisioning_runs_by_pack ON provisioning_runs (share_pack_id, created_at);

-- The steps of a run, each with its status, attempts, timings and last error.
CREATE TABLE IF NOT EXISTS provisioning_steps (
    run_id      UUID NOT NULL REFERENCES provisioning_runs (run_id),
    step_no     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    target      TEXT NOT NULL,
    status      VARCHAR(32) NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    started_at  TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    last_error  TEXT,
    data        JSONB NOT NULL,
    PRIMARY KEY (run_id, step_no)
);

-- The embedded queue (used when no Azure queue is configured): visibility timeouts, dequeue counts.
CREATE TABLE IF NOT EXISTS queue_messages (
    message_id    UUID PRIMARY KEY,
    queue         VARCHAR(63) NOT NULL,
    body          TEXT NOT NULL,
    enqueued_at   TIMESTAMPTZ NOT NULL,
    visible_at    TIMESTAMPTZ NOT NULL,
    dequeue_count INTEGER NOT NULL DEFAULT 0,
    pop_receipt   UUID
);
CREATE INDEX IF NOT EXISTS queue_messages_visible ON queue_messages (queue, visible_at);

-- Files dropped on the portal and what intake made of them, shown at /uploads/{id}. Kept in the
-- database so that every portal instance can show every upload.
CREATE TABLE IF NOT EXISTS uploads (
    upload_id   UUID PRIMARY KEY,
    file_name   TEXT NOT NULL,
    size        BIGINT NOT NULL,
    outcome     JSONB NOT NULL,
    content     BYTEA,
    uploaded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_by_time ON uploads (uploaded_at);
