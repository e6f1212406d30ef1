-- API keys that admins manage: an id to name a key by (its hash is the secret's stand-in and never
-- leaves the database), the first characters of the secret so a person can tell keys apart, the
-- scopes a key holds, an optional expiry, who made it and when it was last used.
ALTER TABLE api_keys
    ADD COLUMN key_id       uuid        NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN prefix       text        NOT NULL DEFAULT '',
    ADD COLUMN scopes       text[]      NOT NULL DEFAULT ARRAY['ingest', 'read', 'write', 'admin'],
    ADD COLUMN expires_at   timestamptz,
    ADD COLUMN created_by   text,
    ADD COLUMN last_used_at timestamptz,
    ADD CONSTRAINT api_keys_key_id UNIQUE (key_id),
    ADD CONSTRAINT api_keys_known_scopes CHECK (
        cardinality(scopes) > 0 AND scopes <@ ARRAY['ingest', 'read', 'write', 'admin']);

-- Keys made before scopes existed could do everything, and keep that; every new key names its scopes.
ALTER TABLE api_keys ALTER COLUMN scopes DROP DEFAULT;
ALTER TABLE api_keys ALTER COLUMN prefix DROP DEFAULT;

-- The API lists and revokes its organization's keys; nothing else of a key ever changes.
GRANT UPDATE (revoked_at) ON api_keys TO analytics_api;

-- A key is found by its hash before any organization is known, so this is the one read past the
-- policies. It answers the key's organization, id, scopes and expiry, nothing else, and notes the
-- use: the services cache a verified key, so this runs once per key per cache period, and
-- last_used_at is true to within that period.
CREATE FUNCTION analytics_api_key(key_hash bytea)
RETURNS TABLE (org_id text, key_id uuid, scopes text[], expires_at timestamptz)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE api_keys k SET last_used_at = now()
    WHERE k.key_hash = analytics_api_key.key_hash AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
    RETURNING k.org_id, k.key_id, k.scopes, k.expires_at
$$;
REVOKE EXECUTE ON FUNCTION analytics_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics_api_key(bytea) TO analytics_api, analytics_ingest;

DROP FUNCTION analytics_api_key_organization(bytea);

-- Owners and admins reach every site: only operators and viewers may be limited to sites (the
-- permission table, README). Rows made before that rule lose their sites.
UPDATE memberships SET sites = '{}' WHERE org_role IN ('owner', 'admin') AND cardinality(sites) > 0;
UPDATE invitations SET sites = '{}' WHERE org_role IN ('owner', 'admin') AND cardinality(sites) > 0;
ALTER TABLE memberships ADD CONSTRAINT memberships_sites_only_for_operators_and_viewers
    CHECK (org_role IN ('operator', 'viewer') OR cardinality(sites) = 0);
ALTER TABLE invitations ADD CONSTRAINT invitations_sites_only_for_operators_and_viewers
    CHECK (org_role IN ('operator', 'viewer') OR cardinality(sites) = 0);
