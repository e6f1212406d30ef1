-- Per-organization API keys. Only the SHA-256 of a key is stored: keys are long random strings,
-- so a fast hash is enough and lets a request be checked with one index lookup.
CREATE TABLE api_keys (
    key_hash   bytea       PRIMARY KEY CHECK (length(key_hash) = 32),
    org_id     text        NOT NULL REFERENCES organizations (org_id),
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE INDEX api_keys_org ON api_keys (org_id);
