-- Notifications (issue 18). Something happened (an approval asked for, a plan decided, a run
-- finished, drift found, a token about to expire): an event, written where it happened. A
-- worker expands it into one notification per person (e-mail) and per webhook, each delivered,
-- retried with backoff and logged here; people choose which kinds they receive.
CREATE TABLE IF NOT EXISTS notification_events (
    event_id    UUID PRIMARY KEY,
    kind        VARCHAR(32) NOT NULL,
    data        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expanded_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS notification_events_waiting ON notification_events (created_at) WHERE expanded_at IS NULL;

ALTER TABLE notifications ADD COLUMN event_id UUID;
ALTER TABLE notifications ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN last_error TEXT;
ALTER TABLE notifications ADD COLUMN sent_at TIMESTAMPTZ;
-- One notification per event, channel and recipient, however often the event is expanded.
CREATE UNIQUE INDEX IF NOT EXISTS notifications_once ON notifications (event_id, channel, recipient);
CREATE INDEX IF NOT EXISTS notifications_by_recipient ON notifications (recipient, created_at);

-- What a person chose not to receive (every kind is on until turned off).
CREATE TABLE IF NOT EXISTS notification_preferences (
    email   VARCHAR(255) NOT NULL,
    kind    VARCHAR(32) NOT NULL,
    enabled BOOLEAN NOT NULL,
    PRIMARY KEY (email, kind)
);
