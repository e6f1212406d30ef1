-- What people ask of the notifier through the API: send a test message through a rule, or give a
-- dead letter a fresh round of attempts. Only the notifier sends and only it writes the delivery
-- log (0008), so the API does neither: it records the request here, in the caller's transaction
-- beside the request's audit event, and NOTIFYs notification_requests, which reaches the notifier
-- once that transaction commits. The notifier takes open requests with FOR UPDATE SKIP LOCKED and,
-- in one transaction, turns each into delivery-log state (a new pending test delivery, or the dead
-- letter pending again) and marks it done; a notifier that stops midway leaves the request open,
-- and one that stops after has left both, so each request is carried out exactly once.
--
-- Who writes what:
--   analytics_api       INSERTs requests of the caller's organization; reads them (a test not yet
--                       taken is shown as its pending delivery). Never changes one.
--   analytics_notifier  UPDATEs done_at and outcome of any organization's request; inserts and
--                       deletes nothing.
--   deliveries, delivery_attempts stay the notifier's alone: the API still only reads them.
CREATE TABLE notification_requests (
    request_id    uuid        PRIMARY KEY,
    org_id        text        NOT NULL REFERENCES organizations (org_id),
    kind          text        NOT NULL CHECK (kind IN ('test', 'redelivery')),
    -- test: the rule whose channel carries it.
    rule_id       text,
    -- The delivery that records what happened: for a test, the id the new delivery gets (chosen
    -- when the API accepts the request, so the answer can name it); for a redelivery, the dead letter.
    delivery_id   text        NOT NULL,
    -- redelivery: the attempts the dead letter had when the API accepted the request. Only that
    -- dead letter is revived, never one a concurrent request already sent round again.
    attempts_seen int,
    requested_by  text        NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- The API request's trace; the send span links to it.
    trace_parent  text,
    trace_state   text,
    done_at       timestamptz,
    outcome       text,
    CONSTRAINT notification_requests_test_names_a_rule CHECK ((kind = 'test') = (rule_id IS NOT NULL)),
    CONSTRAINT notification_requests_redelivery_saw_attempts CHECK ((kind = 'redelivery') = (attempts_seen IS NOT NULL)),
    CONSTRAINT notification_requests_done_with_outcome CHECK ((done_at IS NULL) = (outcome IS NULL))
);

-- One open request per delivery: a second redelivery of the same dead letter, asked before the
-- notifier took the first, is refused (409) instead of queued.
CREATE UNIQUE INDEX notification_requests_one_open_per_delivery ON notification_requests (delivery_id) WHERE done_at IS NULL;
-- The notifier's work, oldest first.
CREATE INDEX notification_requests_open ON notification_requests (requested_at) WHERE done_at IS NULL;

ALTER TABLE notification_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON notification_requests TO analytics_api, analytics_ingest
    USING (org_id = (SELECT analytics_current_org())) WITH CHECK (org_id = (SELECT analytics_current_org()));
CREATE POLICY service_rows ON notification_requests TO analytics_notifier USING (true) WITH CHECK (true);

REVOKE ALL ON notification_requests FROM PUBLIC;
GRANT SELECT, INSERT ON notification_requests TO analytics_api;
-- FOR UPDATE needs UPDATE on some column; these are the only ones the notifier changes.
GRANT SELECT, UPDATE (done_at, outcome) ON notification_requests TO analytics_notifier;

-- The delivery log learns the two new things it records.
--   test:                  a test message of its rule, about a sample incident that exists nowhere;
--                          it counts towards no quota and no cooldown.
--   round:                 1, and one more each time the dead letter is redelivered; every
--                          attempt keeps the round it belonged to.
--   attempts_before_round: attempts made in earlier rounds, so each round has the full
--                          Notifier:MaxAttempts and the backoff starts again from its first step.
ALTER TABLE deliveries
    ADD COLUMN test                  boolean NOT NULL DEFAULT false,
    ADD COLUMN round                 int     NOT NULL DEFAULT 1 CHECK (round >= 1),
    ADD COLUMN attempts_before_round int     NOT NULL DEFAULT 0 CHECK (attempts_before_round >= 0);
ALTER TABLE delivery_attempts
    ADD COLUMN round int NOT NULL DEFAULT 1 CHECK (round >= 1);
