-- Every customer row in the platform belongs to an organization (a tenant) and carries its org_id.
CREATE TABLE organizations (
    org_id     text        PRIMARY KEY CHECK (org_id <> '' AND length(org_id) <= 128),
    name       text        NOT NULL CHECK (name <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
