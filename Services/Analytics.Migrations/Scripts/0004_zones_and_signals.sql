-- Zones per organization and camera, as the Zone contract's JSON; the analytics services reload
-- them when updated_at or the count changes, so edits need no restart.
CREATE TABLE zones (
    org_id     text        NOT NULL REFERENCES organizations (org_id),
    zone_id    text        NOT NULL,
    site_id    text        NOT NULL,
    camera_id  text        NOT NULL,
    document   jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, zone_id)
);

-- Signals: kept far longer than raw observations, and read by fusion in the same late-commit-safe
-- (tx_id, seq) order as the observation log. The id is deterministic (rule, camera, subject,
-- start), so a consumer that re-reads the log after a crash inserts nothing twice.
CREATE SEQUENCE signal_log_seq AS bigint;

CREATE TABLE signals (
    org_id       text             NOT NULL,
    signal_id    text             NOT NULL,
    domain       text             NOT NULL,
    kind         text             NOT NULL,
    severity     text             NOT NULL,
    confidence   double precision NOT NULL,
    site_id      text             NOT NULL,
    camera_id    text             NOT NULL,
    zone_id      text,
    track_ids    text[]           NOT NULL,
    started_at   timestamptz      NOT NULL,
    ended_at     timestamptz      NOT NULL,
    document     jsonb            NOT NULL,
    trace_parent text,
    trace_state  text,
    recorded_at  timestamptz      NOT NULL DEFAULT now(),
    seq          bigint           NOT NULL DEFAULT nextval('signal_log_seq'),
    tx_id        xid8             NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (org_id, signal_id)
);

CREATE INDEX signals_read_order ON signals (tx_id, seq);
CREATE INDEX signals_org_time ON signals (org_id, started_at DESC);

-- Rule state that spans a checkpoint (an open dwell) is rebuilt after a restart by replaying the
-- log from replay_tx_id/replay_seq, per camera from the event time in replay_state.
ALTER TABLE consumer_checkpoints
    ADD COLUMN replay_tx_id xid8,
    ADD COLUMN replay_seq   bigint,
    ADD COLUMN replay_state jsonb NOT NULL DEFAULT '{}';
