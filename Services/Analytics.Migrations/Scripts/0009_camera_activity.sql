-- When each camera last delivered observations, written by ingest in the same commit as the
-- observations. Fusion compares it with the camera's offline threshold, so a camera that went
-- quiet raises a camera-offline incident instead of its silence passing for safety.
CREATE TABLE camera_activity (
    org_id       text        NOT NULL,
    camera_id    text        NOT NULL,
    last_seen_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, camera_id)
);
