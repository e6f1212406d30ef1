-- The idle fallback (Rules:IdleTimeoutSeconds). A camera that sends nothing at all, heartbeats
-- included, for that long is closed by ingest: it appends a camera_idle entry to the log, so the
-- rule services end the camera's open behaviours at the same place in the log on every replay.
--   last_event_at:  the newest event time ingest committed for the camera; the close's event time.
--   idle_closed_since: the last_seen_at of the silence the fallback closed last. A camera is closed
--                      once per silence: again only once it has sent something since (a later
--                      last_seen_at). Comparing the database's own times, not a service's clock.
ALTER TABLE camera_activity
    ADD COLUMN last_event_at     timestamptz,
    ADD COLUMN idle_closed_since timestamptz;

-- Cameras already silent when this runs are closed by the fallback's first pass like any other:
-- that is what frees rule state they abandoned. Their close takes last_seen_at as its event time.
CREATE INDEX camera_activity_last_seen_at ON camera_activity (last_seen_at);
