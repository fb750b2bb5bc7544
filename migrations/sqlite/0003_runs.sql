-- Provisioning runs as the workers need them: the plan a user approved, the options they chose,
-- cancellation, the step in words, and a revision that changes with every update so that
-- progress pages (on any portal instance) see changes by polling one number.
ALTER TABLE provisioning_runs ADD COLUMN plan TEXT;
ALTER TABLE provisioning_runs ADD COLUMN confirm_removals BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE provisioning_runs ADD COLUMN compensate BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE provisioning_runs ADD COLUMN cancel_requested BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE provisioning_runs ADD COLUMN progress TEXT NOT NULL DEFAULT '';
ALTER TABLE provisioning_runs ADD COLUMN deliveries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE provisioning_runs ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE provisioning_runs ADD COLUMN started_at TIMESTAMPTZ;
ALTER TABLE provisioning_runs ADD COLUMN finished_at TIMESTAMPTZ;
-- The submitter's claim on the activation links (a random id held in their browser).
ALTER TABLE provisioning_runs ADD COLUMN claim UUID;
CREATE INDEX IF NOT EXISTS provisioning_runs_by_time ON provisioning_runs (created_at);

-- Steps belong to a phase; steps of one phase are independent and may run concurrently.
ALTER TABLE provisioning_steps ADD COLUMN phase INTEGER NOT NULL DEFAULT 0;

-- Activation links of new token recipients, kept only until the submitter has seen them once.
-- Never copied to history, the audit trail, logs or queue messages.
CREATE TABLE IF NOT EXISTS activation_links (
    run_id     UUID NOT NULL,
    recipient  TEXT NOT NULL,
    url        TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, recipient)
);
