-- The sandbox workspace's state: recipients, shares, grants and its catalog, one JSON document
-- per object, so that the sandbox survives restarts and every portal instance sees the same one.
-- `space` names the sandbox (tests use their own); `revision` guards read-modify-write updates.
CREATE TABLE IF NOT EXISTS sandbox_objects (
    space      VARCHAR(64) NOT NULL,
    kind       VARCHAR(32) NOT NULL,
    name       TEXT NOT NULL,
    body       JSONB NOT NULL,
    revision   BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (space, kind, name)
);
