-- The domain every capability shares. Capabilities add their own tables and columns in
-- their own migration ranges (0100 credentials, 0200 chain, 0300 lti, 0400 issuance).

-- An issuing institution (OB 3.0 Profile). One deployment can host several (tenants).
CREATE TABLE issuers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE,
  name text NOT NULL,
  url text NOT NULL,
  email text,
  image_url text,
  description text,
  did_method text NOT NULL DEFAULT 'web' CHECK (did_method IN ('web', 'key')),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- An LMS registration (LTI issuer + client id), belonging to one Sello issuer.
CREATE TABLE platforms (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  issuer_id uuid NOT NULL REFERENCES issuers (id),
  iss text NOT NULL,
  client_id text NOT NULL,
  name text NOT NULL DEFAULT '',
  product text NOT NULL DEFAULT 'other' CHECK (product IN ('moodle', 'canvas', 'other')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('pending', 'active', 'disabled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (iss, client_id)
);

CREATE TABLE deployments (
  platform_id uuid NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
  deployment_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (platform_id, deployment_id)
);

-- A course (LTI context) as the platform last described it.
CREATE TABLE contexts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  platform_id uuid NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
  lms_context_id text NOT NULL,
  title text NOT NULL DEFAULT '',
  label text NOT NULL DEFAULT '',
  locale text,
  ags_lineitems_url text,
  ags_scopes text[] NOT NULL DEFAULT '{}',
  nrps_url text,
  last_launch_at timestamptz,
  last_synced_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (platform_id, lms_context_id)
);

-- A person as one platform knows them (LTI `sub`).
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  platform_id uuid NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
  sub text NOT NULL,
  name text,
  given_name text,
  family_name text,
  email text,
  picture text,
  locale text,
  wallet_address text,
  did text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (platform_id, sub)
);

CREATE TABLE enrollments (
  context_id uuid NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  roles text[] NOT NULL DEFAULT '{}',
  active boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (context_id, user_id)
);

-- An OB 3.0 Achievement with Sello's criteria. context_id NULL: the issuer's library.
CREATE TABLE achievements (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  issuer_id uuid NOT NULL REFERENCES issuers (id),
  context_id uuid REFERENCES contexts (id) ON DELETE SET NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  image_url text,
  criteria jsonb NOT NULL DEFAULT '{"all": []}'::jsonb,
  criteria_narrative jsonb NOT NULL DEFAULT '{}'::jsonb,
  achievement_type text NOT NULL DEFAULT 'Badge',
  alignments jsonb NOT NULL DEFAULT '[]'::jsonb,
  tags text[] NOT NULL DEFAULT '{}',
  in_language text NOT NULL DEFAULT 'en',
  below_criteria_policy text NOT NULL DEFAULT 'keep' CHECK (below_criteria_policy IN ('keep', 'revoke')),
  valid_for_days integer CHECK (valid_for_days > 0),
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz
);
CREATE INDEX achievements_context ON achievements (context_id) WHERE archived_at IS NULL;

-- Where an achievement is attached in a course (Deep Linking): its resource link and line item.
CREATE TABLE achievement_links (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  achievement_id uuid NOT NULL REFERENCES achievements (id) ON DELETE CASCADE,
  context_id uuid NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
  resource_link_id text,
  line_item_url text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (achievement_id, context_id)
);

-- Every credential Sello signs. `hash` ('0x' + SHA-256 of the JCS form of the signed
-- credential) is the anchor leaf and the soulbound token id.
CREATE TABLE credentials (
  id text PRIMARY KEY,
  issuer_id uuid NOT NULL REFERENCES issuers (id),
  achievement_id uuid REFERENCES achievements (id),
  recipient_user_id uuid REFERENCES users (id),
  hash text NOT NULL UNIQUE,
  document jsonb NOT NULL,
  valid_from timestamptz NOT NULL,
  valid_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credentials_recipient ON credentials (recipient_user_id);
CREATE INDEX credentials_created ON credentials (created_at);
