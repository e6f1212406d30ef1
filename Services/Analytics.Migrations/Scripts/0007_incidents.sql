-- Incidents are event-sourced: incident_events is the append-only history (written by fusion
-- and by operators through the API), and incidents is its projection, rebuildable from the
-- events. The evidence chain is the events that carry a signal_id (opened, signalAttached). The notifier reads incident_events in the same late-commit-safe
-- (tx_id, seq) order as the other logs.
CREATE SEQUENCE incident_event_seq AS bigint;

CREATE TABLE incident_events (
    org_id       text        NOT NULL REFERENCES organizations (org_id),
    incident_id  text        NOT NULL,
    version      int         NOT NULL CHECK (version >= 1),
    type         text        NOT NULL,
    at           timestamptz NOT NULL,
    signal_id    text,
    document     jsonb       NOT NULL,
    trace_parent text,
    trace_state  text,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    seq          bigint      NOT NULL DEFAULT nextval('incident_event_seq'),
    tx_id        xid8        NOT NULL DEFAULT pg_current_xact_id(),
    -- Two writers that both read version n and append n+1 cannot both commit.
    PRIMARY KEY (org_id, incident_id, version)
);

CREATE INDEX incident_events_read_order ON incident_events (tx_id, seq);

CREATE TABLE incidents (
    org_id           text        NOT NULL,
    incident_id      text        NOT NULL,
    group_key        text        NOT NULL,
    domain           text        NOT NULL,
    kind             text        NOT NULL,
    severity         text        NOT NULL,
    severity_rank    int         NOT NULL,
    severity_reason  text,
    status           text        NOT NULL,
    site_id          text        NOT NULL,
    camera_id        text,
    zone_id          text,
    signal_count     int         NOT NULL,
    signal_kinds     text[]      NOT NULL,
    opened_at        timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    last_signal_at   timestamptz NOT NULL,
    last_activity_at timestamptz NOT NULL,
    acknowledged_at  timestamptz,
    resolved_at      timestamptz,
    resolution       text,
    silence_id       text,
    annotation       text,
    version          int         NOT NULL,
    PRIMARY KEY (org_id, incident_id)
);

-- Fusion finds the newest incident of a group; the API lists newest first with keyset paging;
-- housekeeping finds quiet open incidents.
CREATE INDEX incidents_group ON incidents (org_id, group_key, opened_at DESC);
CREATE INDEX incidents_newest ON incidents (org_id, opened_at DESC, incident_id DESC);
CREATE INDEX incidents_quiet ON incidents (last_activity_at) WHERE status <> 'resolved';

CREATE TABLE silences (
    org_id     text        NOT NULL REFERENCES organizations (org_id),
    silence_id text        NOT NULL,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    document   jsonb       NOT NULL,
    PRIMARY KEY (org_id, silence_id)
);

CREATE INDEX silences_by_end ON silences (org_id, ends_at);
