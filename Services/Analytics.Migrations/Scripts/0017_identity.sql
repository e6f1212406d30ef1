-- People (issue 13, accounts and login): the platform's own identity service keeps its users here,
-- for local runs and tests; a Supabase project or another OpenID Connect issuer keeps them itself.
-- (0016 is taken by the change that adds the database roles and row-level security.)
--
-- users: one account per e-mail address, compared without case. Not an organization's row: an
-- account is a person, and what it may do in an organization is its membership. password_hash is
-- ASP.NET Core Identity's PasswordHasher format (PBKDF2, salted, versioned), never the password.
-- disabled_at ends every session of the account and refuses its access tokens.
CREATE TABLE users (
    user_id       uuid        PRIMARY KEY,
    email         text        NOT NULL CHECK (email <> '' AND length(email) <= 320),
    password_hash text        NOT NULL,
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- What a user may do in an organization: a role, optionally limited to some sites (empty: all of
-- them). An access token carries one organization (app_metadata.org_id, as Supabase shapes it), so
-- an account belongs to one organization for now; the unique index on user_id says so, and lifting
-- it is a migration once sign-in can choose an organization.
CREATE TABLE memberships (
    org_id     text        NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    org_role   text        NOT NULL CHECK (org_role IN ('owner', 'admin', 'operator', 'viewer')),
    sites      text[]      NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);

CREATE UNIQUE INDEX memberships_one_organization_per_user ON memberships (user_id);

-- Refresh tokens: 32 random bytes each, stored only as their SHA-256, so the table cannot be used
-- to sign in. A session is one sign-in and the chain of tokens that rotated out of it: using a
-- token revokes it and names its successor (replaced_by); presenting a revoked token again means
-- it was copied, and every token of its session is revoked.
CREATE TABLE refresh_tokens (
    token_hash  bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    org_id      text        NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    user_id     uuid        NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    session_id  uuid        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    replaced_by bytea       CHECK (length(replaced_by) = 32)
);

CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

-- Invitations: an owner or admin invites an e-mail address into the organization with a role and
-- sites; the one-time token (stored as its SHA-256) lets the invited person set a password once.
CREATE TABLE invitations (
    invitation_id uuid        PRIMARY KEY,
    token_hash    bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    org_id        text        NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    email         text        NOT NULL CHECK (email <> '' AND length(email) <= 320),
    org_role      text        NOT NULL CHECK (org_role IN ('owner', 'admin', 'operator', 'viewer')),
    sites         text[]      NOT NULL DEFAULT '{}',
    invited_by    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    accepted_at   timestamptz,
    accepted_by   uuid        REFERENCES users (user_id) ON DELETE SET NULL
);

CREATE INDEX invitations_org ON invitations (org_id, created_at DESC);

-- The identity service's signing keys (ES256, PKCS#8), generated on its first start, so tokens
-- outlive a restart and every replica signs with the same key. The newest key not retired signs;
-- every key not retired is published in the JWKS. The private key sits in the database like the
-- password hashes: whoever reads this table can mint tokens, which is why production deployments
-- use Supabase or an OpenID Connect issuer instead.
CREATE TABLE identity_signing_keys (
    key_id      text        PRIMARY KEY,
    algorithm   text        NOT NULL CHECK (algorithm = 'ES256'),
    private_key bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz
);
