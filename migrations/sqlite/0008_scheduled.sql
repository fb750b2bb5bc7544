-- Scheduled provisioning (issue 16): a run may be set to start at a given time. Until then,
-- once approved, it waits in SCHEDULED; any worker process's scheduler queues it when due.
ALTER TABLE provisioning_runs ADD COLUMN start_at TIMESTAMPTZ;
