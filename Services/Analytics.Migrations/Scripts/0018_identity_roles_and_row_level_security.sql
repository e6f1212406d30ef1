-- The people tables of 0017 under the rules of 0016: row-level security on each, a role of its own
-- for the identity service, and the API's user management limited to the caller's organization.
--
-- memberships, refresh_tokens, invitations hold an organization's rows: the request roles see the
--   current organization's only (policy tenant_rows), the identity service every organization's
--   (people of any organization sign in there).
-- users is a person, not an organization's row; the API sees a user only through a membership of
--   the current organization (the membership's own policy decides which those are).
-- identity_signing_keys: the identity service alone.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'analytics_identity') THEN
        CREATE ROLE analytics_identity NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
END $$;

REVOKE ALL ON users, memberships, refresh_tokens, invitations, identity_signing_keys FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO analytics_identity;
GRANT EXECUTE ON FUNCTION analytics_current_org() TO analytics_identity;

DO $$
DECLARE
    tenant_table text;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY['memberships', 'refresh_tokens', 'invitations'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format(
            'CREATE POLICY tenant_rows ON %I TO analytics_api, analytics_ingest '
            'USING (org_id = (SELECT analytics_current_org())) WITH CHECK (org_id = (SELECT analytics_current_org()))',
            tenant_table);
        EXECUTE format('CREATE POLICY service_rows ON %I TO analytics_identity USING (true) WITH CHECK (true)', tenant_table);
    END LOOP;
END $$;

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY members_of_the_organization ON users TO analytics_api
    USING (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.user_id));
CREATE POLICY service_rows ON users TO analytics_identity USING (true) WITH CHECK (true);

-- The identity service seeds dev-org's owner and its organization.
CREATE POLICY service_rows ON organizations TO analytics_identity USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON organizations TO analytics_identity;
GRANT SELECT, INSERT, UPDATE ON users, memberships, refresh_tokens, invitations TO analytics_identity;
GRANT SELECT, INSERT ON identity_signing_keys TO analytics_identity;

-- The API's user management: list, invite, change roles and sites, disable (which revokes tokens).
GRANT SELECT, UPDATE (disabled_at) ON users TO analytics_api;
GRANT SELECT, UPDATE ON memberships TO analytics_api;
GRANT SELECT, UPDATE ON refresh_tokens TO analytics_api;
GRANT SELECT, INSERT ON invitations TO analytics_api;

-- Asked while a request is authenticated, before it runs under an organization: whether the
-- token's user is disabled. Answers that and nothing else.
CREATE FUNCTION analytics_user_disabled(user_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM users u WHERE u.user_id = analytics_user_disabled.user_id AND u.disabled_at IS NOT NULL)
$$;
REVOKE EXECUTE ON FUNCTION analytics_user_disabled(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics_user_disabled(uuid) TO analytics_api, analytics_ingest;

-- An account belongs to one organization, so an invitation to an address that has one, in any
-- organization, is refused; the inviting organization learns that and nothing else.
CREATE FUNCTION analytics_email_has_account(email text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM users u JOIN memberships m ON m.user_id = u.user_id
        WHERE lower(u.email) = lower(analytics_email_has_account.email))
$$;
REVOKE EXECUTE ON FUNCTION analytics_email_has_account(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics_email_has_account(text) TO analytics_api;
