-- Entries a checkpointed consumer (a rule service, fusion, the notifier) could not apply. A
-- retry cannot cure them (an undecodable payload, a broken invariant), so instead of stopping the
-- consumer, and every organization behind it, the entry is kept here with the error and the
-- consumer moves on. The API lists them to the organization they belong to.
--   tx_id, seq: the entry's position in the consumer's log (the table that log is kept in).
--   org_id:     the organization the entry belongs to; null when it names none.
--   entry:      the entry as stored, as JSON.
CREATE TABLE consumer_dead_letters (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer  text        NOT NULL,
    org_id    text,
    tx_id     xid8        NOT NULL,
    seq       bigint      NOT NULL,
    entry     jsonb       NOT NULL,
    error     text        NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now(),
    -- An entry is dead-lettered once per consumer, however often a replay meets it again.
    UNIQUE (consumer, tx_id, seq)
);

CREATE INDEX consumer_dead_letters_by_org ON consumer_dead_letters (org_id, failed_at DESC, id DESC);
