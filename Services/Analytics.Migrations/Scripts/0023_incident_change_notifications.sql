-- A change feed for operators' screens: every incident that is opened or changes (fusion growing
-- it, an operator acting on it, housekeeping resolving it) is announced on the channel
-- incident_changes with its organization, id, site, status and version, nothing more. The API
-- listens once and passes each change only to its own organization's subscribers (those limited
-- to sites, only their sites'); a screen then reads the incident through the API as usual.
-- Statement-level triggers with transition tables: one call per statement however many incidents
-- fusion writes at once.
CREATE FUNCTION analytics_announce_incident_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('incident_changes', json_build_object(
        'orgId', c.org_id, 'incidentId', c.incident_id, 'siteId', c.site_id, 'status', c.status, 'version', c.version)::text)
    FROM changed c;
    RETURN NULL;
END $$;

CREATE TRIGGER incidents_announce_inserts AFTER INSERT ON incidents
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION analytics_announce_incident_changes();
CREATE TRIGGER incidents_announce_updates AFTER UPDATE ON incidents
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION analytics_announce_incident_changes();
