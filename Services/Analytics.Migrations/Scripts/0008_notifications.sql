-- Notification rules per organization, and the delivery log: one decision per incident change and
-- matching rule (or one 'no_matching_rule'), written by the notifier in the transaction that
-- moves its checkpoint over incident_events, so a change is decided exactly once. The same rows
-- are the outbox the notifier's dispatcher sends from.
CREATE TABLE notification_rules (
    org_id         text        NOT NULL REFERENCES organizations (org_id),
    rule_id        text        NOT NULL,
    document       jsonb       NOT NULL,
    -- The HMAC key must be read back to sign, so it cannot be stored as a hash; it is never
    -- returned by the API after the response that created (or rotated) it.
    signing_secret text        NOT NULL,
    PRIMARY KEY (org_id, rule_id)
);

CREATE TABLE deliveries (
    delivery_id     text        PRIMARY KEY,
    org_id          text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('notification', 'digest')),
    status          text        NOT NULL,
    reason          text        NOT NULL,
    incident_id     text,
    event_version   int,
    transition      text,
    event_at        timestamptz,
    -- No foreign key: the log outlives a deleted rule.
    rule_id         text,
    channel         text,
    silence_id      text,
    digest_id       text,
    idempotency_key text        NOT NULL UNIQUE,
    decided_at      timestamptz NOT NULL,
    -- Digests only: the quota window they summarize. Sealed once the dispatcher first takes
    -- one; notifications over the quota then go into the next window's digest.
    window_start    timestamptz,
    sealed          boolean     NOT NULL DEFAULT false,
    attempts        int         NOT NULL DEFAULT 0,
    -- While pending or retrying: when it is due. During an attempt: when its lease runs out
    -- and another dispatcher (or this one, restarted) may retry it.
    next_attempt_at timestamptz,
    sent_at         timestamptz,
    -- Fixed when decided, so every attempt sends the same incident (or, for a digest, the
    -- same items) whatever happens to the incident meanwhile.
    payload         jsonb,
    trace_parent    text,
    trace_state     text
);

-- Never two different notifications for one incident change and rule.
CREATE UNIQUE INDEX deliveries_one_per_change ON deliveries (org_id, incident_id, event_version, rule_id) NULLS NOT DISTINCT
    WHERE kind = 'notification';
-- The dispatcher finds due work; the API lists newest first and by incident; the notifier counts
-- the quota and looks up cooldowns; a digest finds what it carries.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_newest ON deliveries (org_id, decided_at DESC, delivery_id DESC);
CREATE INDEX deliveries_by_incident ON deliveries (org_id, incident_id, rule_id);
CREATE INDEX deliveries_by_digest ON deliveries (digest_id) WHERE digest_id IS NOT NULL;

CREATE TABLE delivery_attempts (
    org_id      text        NOT NULL,
    delivery_id text        NOT NULL REFERENCES deliveries (delivery_id),
    attempt     int         NOT NULL CHECK (attempt >= 1),
    outcome     text        NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    http_status int,
    error       text,
    PRIMARY KEY (delivery_id, attempt)
);
