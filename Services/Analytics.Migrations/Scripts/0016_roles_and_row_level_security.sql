-- Tenant isolation the database enforces, not only every query remembering `WHERE org_id = ...`.
--
-- Every table that holds an organization's rows has row-level security enabled and forced, so
-- not even its owner reads past it (only a role with BYPASSRLS does: the migrations' superuser,
-- and on Supabase its `postgres` role, which therefore owns the security-definer functions below).
--
-- The organization of the current transaction is read the way Supabase exposes a caller's JWT to
-- policies: the setting `request.jwt.claims`, set per transaction with set_config(..., true), and
-- the organization at app_metadata.org_id (never user_metadata, which users can edit). The same
-- policies would therefore run on Supabase under PostgREST.
--
-- Services connect as roles that own nothing and cannot bypass row-level security (the
-- migrations give them a password and LOGIN when the deployment configures one):
--   analytics_api, analytics_ingest   serve one organization per request: every row they read or
--                                     write must be the caller's (policy tenant_rows); with no
--                                     organization set they see nothing at all.
--   analytics_ingest_housekeeping     ingest's background jobs that serve every organization: the
--                                     idle-camera close and the hourly retention.
--   analytics_rules                   antitheft, safety and education: read the observation log
--                                     and zones, append signals.
--   analytics_fusion                  reads signals, folds them into incidents.
--   analytics_notifier                reads incident events and rules, keeps the delivery log.
-- The services of every organization read and write all organizations' rows of exactly the tables
-- granted to them (policy service_rows); grants are what keep them least-privileged.

CREATE FUNCTION analytics_current_org() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'org_id'
$$;

DO $$
DECLARE
    role_name text;
BEGIN
    -- Roles belong to the whole server, so another database of the platform may have made them.
    FOREACH role_name IN ARRAY ARRAY['analytics_api', 'analytics_ingest', 'analytics_ingest_housekeeping',
                                      'analytics_rules', 'analytics_fusion', 'analytics_notifier'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', role_name);
        END IF;
    END LOOP;
END $$;

-- Nothing is reachable by default: every privilege below is granted on purpose.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO analytics_api, analytics_ingest, analytics_ingest_housekeeping,
    analytics_rules, analytics_fusion, analytics_notifier;
GRANT EXECUTE ON FUNCTION analytics_current_org() TO analytics_api, analytics_ingest, analytics_ingest_housekeeping,
    analytics_rules, analytics_fusion, analytics_notifier;

-- Row-level security on every tenant table, and the request roles' policy on each.
DO $$
DECLARE
    tenant_table text;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY[
        'organizations', 'api_keys', 'sites', 'cameras', 'zones', 'camera_activity', 'observation_log',
        'subject_key_secrets', 'ingest_idempotency_keys', 'signals', 'incident_events', 'incidents',
        'silences', 'notification_rules', 'deliveries', 'delivery_attempts', 'consumer_dead_letters'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tenant_table);
        -- (SELECT ...) makes the organization an init plan, read once per statement, not per row.
        EXECUTE format(
            'CREATE POLICY tenant_rows ON %I TO analytics_api, analytics_ingest '
            'USING (org_id = (SELECT analytics_current_org())) WITH CHECK (org_id = (SELECT analytics_current_org()))',
            tenant_table);
    END LOOP;
END $$;

-- The services of every organization: all rows of the tables they are granted, nothing else.
CREATE POLICY service_rows ON observation_log TO analytics_ingest_housekeeping, analytics_rules USING (true) WITH CHECK (true);
CREATE POLICY service_rows ON camera_activity TO analytics_ingest_housekeeping, analytics_fusion USING (true) WITH CHECK (true);
CREATE POLICY service_rows ON subject_key_secrets TO analytics_ingest_housekeeping USING (true);
CREATE POLICY service_rows ON ingest_idempotency_keys TO analytics_ingest_housekeeping USING (true);
CREATE POLICY service_rows ON zones TO analytics_rules USING (true);
CREATE POLICY service_rows ON cameras TO analytics_fusion USING (true);
CREATE POLICY service_rows ON signals TO analytics_rules, analytics_fusion USING (true) WITH CHECK (true);
CREATE POLICY service_rows ON incidents TO analytics_fusion USING (true) WITH CHECK (true);
CREATE POLICY service_rows ON incident_events TO analytics_fusion, analytics_notifier USING (true) WITH CHECK (true);
CREATE POLICY service_rows ON silences TO analytics_fusion USING (true);
CREATE POLICY service_rows ON notification_rules TO analytics_notifier USING (true);
CREATE POLICY service_rows ON deliveries TO analytics_notifier USING (true) WITH CHECK (true);
CREATE POLICY service_rows ON delivery_attempts TO analytics_notifier USING (true) WITH CHECK (true);
CREATE POLICY service_rows ON consumer_dead_letters TO analytics_rules, analytics_fusion, analytics_notifier
    USING (true) WITH CHECK (true);

-- The API: one organization's registry, incidents, silences, rules and delivery log. Upserts need
-- SELECT and UPDATE besides INSERT; FOR UPDATE needs UPDATE.
GRANT SELECT, INSERT ON organizations, api_keys TO analytics_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON sites, cameras, zones, notification_rules TO analytics_api;
GRANT SELECT ON camera_activity, signals, deliveries, delivery_attempts, consumer_dead_letters TO analytics_api;
GRANT SELECT, INSERT, UPDATE ON incidents, silences TO analytics_api;
GRANT SELECT, INSERT ON incident_events TO analytics_api;
GRANT USAGE ON SEQUENCE incident_event_seq TO analytics_api;

-- Ingest's requests: the caller's observations, cameras' activity, idempotency keys and subject
-- key secrets; organizations and keys for the configured seed keys.
GRANT SELECT, INSERT ON organizations, api_keys TO analytics_ingest;
GRANT INSERT ON observation_log TO analytics_ingest;
GRANT USAGE ON SEQUENCE observation_log_seq TO analytics_ingest;
GRANT SELECT, INSERT, UPDATE ON camera_activity, ingest_idempotency_keys TO analytics_ingest;
GRANT SELECT, INSERT ON subject_key_secrets TO analytics_ingest;

-- Ingest's background jobs: close idle cameras (a claim, their close entries in the log) and
-- delete what outlived its retention.
GRANT SELECT, UPDATE ON camera_activity TO analytics_ingest_housekeeping;
GRANT INSERT ON observation_log TO analytics_ingest_housekeeping;
GRANT USAGE ON SEQUENCE observation_log_seq TO analytics_ingest_housekeeping;
GRANT SELECT, DELETE ON subject_key_secrets, ingest_idempotency_keys TO analytics_ingest_housekeeping;

-- The rule services. ON CONFLICT (org_id, signal_id) reads the conflict columns, hence SELECT.
GRANT SELECT ON observation_log, zones TO analytics_rules;
GRANT SELECT, INSERT ON signals TO analytics_rules;
GRANT USAGE ON SEQUENCE signal_log_seq TO analytics_rules;

-- Fusion.
GRANT SELECT ON signals, silences, cameras, camera_activity TO analytics_fusion;
GRANT SELECT, INSERT, UPDATE ON incidents TO analytics_fusion;
GRANT SELECT, INSERT ON incident_events TO analytics_fusion;
GRANT USAGE ON SEQUENCE incident_event_seq TO analytics_fusion;

-- The notifier.
GRANT SELECT ON incident_events, notification_rules TO analytics_notifier;
GRANT SELECT, INSERT, UPDATE ON deliveries, delivery_attempts TO analytics_notifier;

-- Every checkpointed consumer: its checkpoint and the entries it set aside.
GRANT SELECT, INSERT, UPDATE ON consumer_checkpoints TO analytics_rules, analytics_fusion, analytics_notifier;
GRANT SELECT, INSERT ON consumer_dead_letters TO analytics_rules, analytics_fusion, analytics_notifier;

-- Finding the organization of an API key happens before any organization is known, so it is the
-- one read past the policies: by the key's hash, returning the organization and nothing else.
CREATE FUNCTION analytics_api_key_organization(key_hash bytea) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT k.org_id FROM api_keys k WHERE k.key_hash = analytics_api_key_organization.key_hash AND k.revoked_at IS NULL
$$;
REVOKE EXECUTE ON FUNCTION analytics_api_key_organization(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics_api_key_organization(bytea) TO analytics_api, analytics_ingest;

-- Creating and dropping the log's daily partitions is DDL, which only the log's owner may do.
ALTER FUNCTION analytics_maintain_observation_log(int, int) SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION analytics_delete_old_affect_telemetry(int) SECURITY DEFINER SET search_path = public, pg_temp;
GRANT EXECUTE ON FUNCTION analytics_maintain_observation_log(int, int), analytics_delete_old_affect_telemetry(int)
    TO analytics_ingest_housekeeping;
