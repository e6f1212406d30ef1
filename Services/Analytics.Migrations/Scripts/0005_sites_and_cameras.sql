-- Sites and cameras per organization. Zones already named a site and a camera; these tables make
-- the names real: a camera needs its site, a zone its camera (at that camera's site), and nothing
-- can be deleted while something still points at it. The keys lead with org_id, so no reference
-- can cross organizations. updated_at lets a reader notice edits without a restart, as zones do.
CREATE TABLE sites (
    org_id      text        NOT NULL REFERENCES organizations (org_id),
    site_id     text        NOT NULL CHECK (site_id <> '' AND length(site_id) <= 128),
    name        text        NOT NULL CHECK (name <> ''),
    time_zone   text        NOT NULL CHECK (time_zone <> ''),
    address     text,
    description text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, site_id)
);

CREATE TABLE cameras (
    org_id                text        NOT NULL REFERENCES organizations (org_id),
    camera_id             text        NOT NULL CHECK (camera_id <> '' AND length(camera_id) <= 128),
    site_id               text        NOT NULL,
    name                  text        NOT NULL CHECK (name <> ''),
    description           text,
    offline_after_seconds int         CHECK (offline_after_seconds BETWEEN 10 AND 86400),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, camera_id),
    -- Zones reference a camera together with its site, so a zone cannot name the wrong site; this
    -- index also serves listing a site's cameras and the check when a site is deleted.
    CONSTRAINT cameras_site_camera UNIQUE (org_id, site_id, camera_id),
    CONSTRAINT cameras_site_fk FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, site_id)
);

-- Zones saved before this migration named sites and cameras that were never registered. They are
-- registered here under their ids, the site in UTC, so every existing zone keeps working; an
-- operator renames them and sets the real time zone through the API.
INSERT INTO sites (org_id, site_id, name, time_zone)
SELECT DISTINCT org_id, site_id, site_id, 'UTC' FROM zones;

INSERT INTO cameras (org_id, camera_id, site_id, name)
SELECT DISTINCT ON (org_id, camera_id) org_id, camera_id, site_id, camera_id FROM zones
ORDER BY org_id, camera_id, site_id;

-- A zone is drawn in its camera's image, so moving the camera to another site carries its zones
-- along (ON UPDATE CASCADE; the API rewrites their documents in the same transaction).
-- NOT VALID: the old API let zones name one camera under two sites, and such a zone cannot be
-- matched to the one camera registered above. Failing the migration would stop the platform, so
-- the reference is enforced on every write from now on and old rows are left as they are.
ALTER TABLE zones
    ADD CONSTRAINT zones_camera_fk FOREIGN KEY (org_id, site_id, camera_id)
        REFERENCES cameras (org_id, site_id, camera_id) ON UPDATE CASCADE NOT VALID;

-- Serves the check when a camera is deleted or moved, and listing a camera's zones.
CREATE INDEX zones_camera ON zones (org_id, camera_id, site_id);
