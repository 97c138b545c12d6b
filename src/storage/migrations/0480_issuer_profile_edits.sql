-- When an administrator edited the issuer's profile on /admin/issuer. From then on the
-- profile is theirs: the ISSUER_* settings, applied at every start, no longer overwrite it
-- (they still name the issuer of a fresh deployment).
ALTER TABLE issuers ADD COLUMN profile_edited_at timestamptz;

-- A small logo uploaded on /admin/issuer (PNG or sanitized SVG), served at
-- /issuers/<slug>/logo; image_url then points there.
ALTER TABLE issuers ADD COLUMN logo bytea;
ALTER TABLE issuers ADD COLUMN logo_type text CHECK (logo_type IN ('image/png', 'image/svg+xml'));
