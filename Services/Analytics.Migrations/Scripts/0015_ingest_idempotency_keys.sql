-- A batch is stored once. An edge device that sends Idempotency-Key with a batch, loses the answer
-- (a connection reset, ingest killed between commit and answer) and sends the batch again with the
-- same key gets the first answer again, and the batch is not appended a second time.
--
-- Ingest writes a key in the same transaction as the batch's log rows, before their COPY, with one
-- INSERT ... ON CONFLICT (org_id, idempotency_key) DO UPDATE SET replays = replays + 1 for every keyed
-- batch of a commit round. The primary key is what makes a concurrent duplicate safe: a second
-- round inserting a key that an uncommitted round holds waits for that round; if it commits, the
-- conflict returns its row (replays > 0) and the duplicate's rows are left out of the COPY; if it
-- rolls back, the second round's insert goes through and stores the batch. So a key exists exactly
-- when its batch is committed, and a batch that was refused or not committed can be sent again.
--   request_hash:  SHA-256 of the request body as sent; the same key with another body is refused (422).
--   status_code, response_body: the answer given when the batch was committed, returned verbatim.
--   replays:       how often the answer was given again.
-- Keys are kept Ingest:IdempotencyKeyRetentionHours; ingest's hourly maintenance deletes older ones
-- (by created_at, hence its index), after which a key may be used again.
CREATE TABLE ingest_idempotency_keys (
    org_id          text        NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    idempotency_key text        NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_hash    bytea       NOT NULL CHECK (length(request_hash) = 32),
    status_code     smallint    NOT NULL,
    response_body   bytea       NOT NULL,
    replays         integer     NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, idempotency_key)
);

CREATE INDEX ingest_idempotency_keys_created_at ON ingest_idempotency_keys (created_at);
