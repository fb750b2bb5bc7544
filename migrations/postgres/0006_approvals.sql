-- Approval of the exact plan (issue 14). A run that needs approval waits in AWAITING_APPROVAL;
-- its approvals are bound to plan_digest, the SHA-256 of the plan's actions, the workspace and
-- the workspace state the plan was computed from (plan_state, kept without secrets so that a
-- changed state can be named). approval is the policy's requirement (how many, an
-- administrator's or not, and why); plan_changes says what changed when a plan asks again.
ALTER TABLE provisioning_runs ADD COLUMN plan_digest VARCHAR(64);
ALTER TABLE provisioning_runs ADD COLUMN plan_state JSONB;
ALTER TABLE provisioning_runs ADD COLUMN approval JSONB;
ALTER TABLE provisioning_runs ADD COLUMN plan_changes JSONB;
CREATE INDEX IF NOT EXISTS provisioning_runs_by_status ON provisioning_runs (status);

-- Each person's decision on one plan digest: approvals of an earlier digest no longer count.
CREATE TABLE IF NOT EXISTS run_approvals (
    run_id      UUID NOT NULL,
    plan_digest VARCHAR(64) NOT NULL,
    decided_by  VARCHAR(255) NOT NULL,
    decision    VARCHAR(16) NOT NULL,
    as_admin    BOOLEAN NOT NULL DEFAULT FALSE,
    comment     TEXT NOT NULL DEFAULT '',
    decided_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, plan_digest, decided_by)
);
