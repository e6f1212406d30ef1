-- Per-organization rate limits of ingest and the API, in place of the configured ones
-- (RateLimits:Organization and RateLimits:Key). The platform's operator writes them as the
-- database owner (psql); tenants cannot, and no service is granted the table. A null pair leaves
-- that bucket at the configured default. The services read every organization's overrides every
-- RateLimits:OverrideRefreshSeconds.
CREATE TABLE rate_limit_overrides (
    org_id                text        NOT NULL REFERENCES organizations (org_id),
    service               text        NOT NULL CHECK (service IN ('ingest', 'api')),
    -- The organization's bucket: all its keys and users together.
    org_tokens_per_second integer     CHECK (org_tokens_per_second BETWEEN 1 AND 1000000),
    org_burst             integer     CHECK (org_burst BETWEEN 1 AND 1000000),
    -- Each key's (and each user's) bucket.
    key_tokens_per_second integer     CHECK (key_tokens_per_second BETWEEN 1 AND 1000000),
    key_burst             integer     CHECK (key_burst BETWEEN 1 AND 1000000),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, service),
    -- As the settings require: a rate comes with its burst, the burst holds at least a second's
    -- refill, and a row overrides something.
    CHECK ((org_tokens_per_second IS NULL) = (org_burst IS NULL)),
    CHECK ((key_tokens_per_second IS NULL) = (key_burst IS NULL)),
    CHECK (org_burst >= org_tokens_per_second),
    CHECK (key_burst >= key_tokens_per_second),
    CHECK (org_tokens_per_second IS NOT NULL OR key_tokens_per_second IS NOT NULL)
);

-- An organization's rows, so under row-level security like every other (0016). No role is granted
-- the table; the policy is there so that a later grant (the API showing an organization its own
-- limits) can only ever reach the caller's rows.
ALTER TABLE rate_limit_overrides ENABLE ROW LEVEL SECURITY;
ALTER TABLE rate_limit_overrides FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON rate_limit_overrides TO analytics_api, analytics_ingest
    USING (org_id = (SELECT analytics_current_org())) WITH CHECK (org_id = (SELECT analytics_current_org()));

-- Ingest and the API need every organization's limits before any request names one, so they read
-- them through this function alone: the limits of one service, and nothing else of the table.
CREATE FUNCTION analytics_rate_limit_overrides(service text)
RETURNS TABLE (org_id text, org_tokens_per_second integer, org_burst integer, key_tokens_per_second integer, key_burst integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT o.org_id, o.org_tokens_per_second, o.org_burst, o.key_tokens_per_second, o.key_burst
    FROM rate_limit_overrides o WHERE o.service = analytics_rate_limit_overrides.service
$$;
REVOKE EXECUTE ON FUNCTION analytics_rate_limit_overrides(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics_rate_limit_overrides(text) TO analytics_api, analytics_ingest;
