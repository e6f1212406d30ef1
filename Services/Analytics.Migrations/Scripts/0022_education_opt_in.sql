-- Inferring pupils' emotions is restricted by law in many places, so the education domain is off
-- for an organization until one of its owners turns it on (PUT /v1/organization/settings). Until
-- then ingest refuses its affect telemetry and the education service produces nothing for it.
ALTER TABLE organizations ADD COLUMN education_enabled boolean NOT NULL DEFAULT false;

-- The API changes this one setting of the caller's organization, nothing else of the row.
GRANT UPDATE (education_enabled) ON organizations TO analytics_api;

-- The education service serves every organization, and needs to know only which have opted in:
-- it may not read organizations' rows, so this narrow function answers that and nothing more.
CREATE FUNCTION analytics_education_organizations() RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT org_id FROM organizations WHERE education_enabled
$$;
REVOKE EXECUTE ON FUNCTION analytics_education_organizations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics_education_organizations() TO analytics_rules;
