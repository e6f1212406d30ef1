-- Raw affect telemetry is about people in a classroom, so it is kept for hours, not days: the
-- hourly maintenance deletes it once it is older than Ingest:AffectTelemetryRetentionHours,
-- while other observations wait for their whole daily partition to expire. The partial index
-- keeps that delete from scanning track updates; only affect rows pay for it.
CREATE INDEX observation_log_affect_recorded_at ON observation_log (recorded_at)
    WHERE type = 'affect_telemetry';

DROP FUNCTION analytics_maintain_observation_log(int, int);

-- Creates the daily partitions from yesterday to days_ahead days from now, drops those entirely
-- older than retain_days, and deletes affect telemetry older than affect_retain_hours.
-- Idempotent; run by migrations and hourly by ingest.
CREATE FUNCTION analytics_maintain_observation_log(days_ahead int, retain_days int, affect_retain_hours int) RETURNS void
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
    DELETE FROM observation_log
    WHERE type = 'affect_telemetry' AND recorded_at < now() - make_interval(hours => affect_retain_hours);
END $$;
