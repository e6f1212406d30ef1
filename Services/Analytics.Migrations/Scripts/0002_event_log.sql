-- The durable log: append-only, read by checkpointed consumers.
--
-- Ordering: identity/sequence values commit out of order under concurrent writers, so a
-- consumer reading "seq > last" would skip a row whose transaction committed late. Every row
-- therefore records the id of the transaction that wrote it (tx_id), and consumers read in
-- (tx_id, seq) order only below pg_snapshot_xmin(pg_current_snapshot()): every transaction with a
-- smaller id has finished, so nothing can ever appear behind a consumer's position.
--
-- Raw observations are kept for days: the table is partitioned by day on recorded_at and old
-- partitions are dropped (analytics_maintain_observation_log). The payload is the observation's
-- JSON as bytes: the log is a transport, and not parsing it on the hot path keeps appends cheap.

CREATE SEQUENCE observation_log_seq AS bigint;

CREATE TABLE observation_log (
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    seq            bigint      NOT NULL DEFAULT nextval('observation_log_seq'),
    tx_id          xid8        NOT NULL DEFAULT pg_current_xact_id(),
    id             uuid        NOT NULL,
    org_id         text        NOT NULL,
    type           text        NOT NULL,
    schema_version int         NOT NULL,
    camera_id      text        NOT NULL,
    occurred_at    timestamptz NOT NULL,
    trace_parent   text,
    trace_state    text,
    payload        bytea       NOT NULL,
    PRIMARY KEY (recorded_at, seq)
) PARTITION BY RANGE (recorded_at);

CREATE INDEX observation_log_read_order ON observation_log (tx_id, seq);

-- Creates the daily partitions from yesterday to days_ahead days from now and drops those
-- entirely older than retain_days. Idempotent; run by migrations and hourly by ingest.
CREATE FUNCTION analytics_maintain_observation_log(days_ahead int, retain_days int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    day date;
    part record;
BEGIN
    FOR day IN SELECT generate_series(current_date - 1, current_date + days_ahead, interval '1 day')::date LOOP
        EXECUTE format(
            'CREATE TABLE IF NOT EXISTS %I PARTITION OF observation_log FOR VALUES FROM (%L) TO (%L)',
            'observation_log_' || to_char(day, 'YYYYMMDD'), day::timestamptz, (day + 1)::timestamptz);
    END LOOP;
    FOR part IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'observation_log'
          AND c.relname ~ '^observation_log_[0-9]{8}$'
          AND to_date(substring(c.relname from '[0-9]{8}$'), 'YYYYMMDD') < current_date - retain_days
    LOOP
        EXECUTE format('DROP TABLE %I', part.relname);
    END LOOP;
END $$;

SELECT analytics_maintain_observation_log(7, 7);

-- Where each consumer has got to; written in the same transaction as the consumer's output so
-- a crash can neither lose nor repeat an effect.
CREATE TABLE consumer_checkpoints (
    consumer   text        PRIMARY KEY,
    tx_id      xid8        NOT NULL,
    seq        bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
