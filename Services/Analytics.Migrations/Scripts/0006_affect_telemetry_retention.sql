-- Raw affect telemetry is about people in a classroom, so it is kept for hours, not days: ingest's
-- hourly maintenance deletes it once it is older than Ingest:AffectTelemetryRetentionHours, while
-- other observations wait for their whole daily partition to expire. The partial index keeps that
-- delete from scanning track updates; only affect rows pay for it.
CREATE INDEX observation_log_affect_recorded_at ON observation_log (recorded_at)
    WHERE type = 'affect_telemetry';

CREATE FUNCTION analytics_delete_old_affect_telemetry(retain_hours int) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM observation_log
    WHERE type = 'affect_telemetry' AND recorded_at < now() - make_interval(hours => retain_hours);
$$;
