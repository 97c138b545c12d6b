-- Dynamic Registration never changes a platform Sello already knows (issue 10).

-- One-time registration links an administrator hands to an LMS administrator
-- (`/lti/register?invite=…`): a registration through one is approved at once. Only the
-- SHA-256 of the token is kept, so a database dump does not hold usable links.
CREATE TABLE lti_registration_invites (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash text NOT NULL UNIQUE,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  -- Set once, atomically, by the registration that used the link.
  used_at timestamptz,
  platform_id uuid REFERENCES platforms (id) ON DELETE SET NULL
);

-- A Dynamic Registration whose issuer Sello already knows: kept apart from `platforms`
-- (so no launch can ever use its endpoints) until an administrator approves it, which
-- then replaces the platform it names.
CREATE TABLE platform_registration_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  iss text NOT NULL,
  client_id text NOT NULL,
  name text NOT NULL DEFAULT '',
  product text NOT NULL DEFAULT 'other' CHECK (product IN ('moodle', 'canvas', 'other')),
  auth_url text NOT NULL,
  token_url text NOT NULL,
  jwks_url text NOT NULL,
  deployment_ids text[] NOT NULL DEFAULT '{}',
  openid_configuration_url text NOT NULL,
  replaces_platform_id uuid REFERENCES platforms (id) ON DELETE SET NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz
);
CREATE INDEX platform_registration_requests_pending ON platform_registration_requests (created_at) WHERE status = 'pending';
