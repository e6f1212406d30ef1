-- The audit trail: every change to an organization's configuration and every operator action, and
-- every read of education incidents or signals, as an append-only event: who (user:<id> or
-- api-key:<fingerprint>), when, what, and the value before and after.
CREATE TABLE audit_events (
    org_id      text        NOT NULL REFERENCES organizations (org_id),
    event_id    uuid        NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor       text        NOT NULL,
    action      text        NOT NULL,
    target_type text        NOT NULL,
    target_id   text        NOT NULL,
    before      jsonb,
    after       jsonb,
    trace_id    text,
    PRIMARY KEY (org_id, event_id)
);

-- Newest first, and by actor or target, each as a keyset.
CREATE INDEX audit_events_newest ON audit_events (org_id, at DESC, event_id DESC);
CREATE INDEX audit_events_by_actor ON audit_events (org_id, actor, at DESC, event_id DESC);
CREATE INDEX audit_events_by_target ON audit_events (org_id, target_type, target_id, at DESC, event_id DESC);

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON audit_events TO analytics_api, analytics_ingest
    USING (org_id = (SELECT analytics_current_org())) WITH CHECK (org_id = (SELECT analytics_current_org()));

-- Services insert events and the API reads them; no role is granted UPDATE or DELETE, and the
-- trigger refuses them even to the owner, so an event once written stays as written.
GRANT SELECT, INSERT ON audit_events TO analytics_api;
GRANT INSERT ON audit_events TO analytics_ingest;

CREATE FUNCTION analytics_audit_events_are_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION analytics_audit_events_are_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_audit_events_are_append_only();
