-- Affect telemetry's subject keys are never stored. Ingest replaces each with a keyed pseudonym,
-- HMAC-SHA256 under a secret of the organization and the UTC day of the sample's occurred_at,
-- before anything is written: one slot keeps one pseudonym all day, so the education rules still
-- group its samples, and without the secret no pseudonym can be tied back to the edge's key.
--
-- A secret is 32 random bytes (the operating system's CSPRNG), created by the first ingest that
-- needs it (INSERT ... ON CONFLICT DO NOTHING, then read) and cached in its memory. Ingest's
-- hourly maintenance deletes the secrets of days before yesterday (UTC): day D's secret is gone
-- within the hour after D + 2 00:00 UTC. A sample that arrives later still for day D gets a fresh
-- secret for D, which expires the same way; it no longer groups with D's earlier samples.
CREATE TABLE subject_key_secrets (
    org_id     text        NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    day        date        NOT NULL,
    secret     bytea       NOT NULL CHECK (length(secret) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, day)
);

-- Affect telemetry written before this script holds raw subject keys, as the edge sent them. It is
-- kept only 24 hours anyway (analytics_delete_old_affect_telemetry), so it is deleted now rather
-- than left as the one place a raw key is stored.
DELETE FROM observation_log WHERE type = 'affect_telemetry';
