-- LTI capability (0300-0399).

-- ltijs's own records (platforms, keys, nonces, states, tokens), one row per document of
-- one of its collections. Lookups are `doc @> query`, like ltijs's Mongo equality finds.
-- Encrypted collections keep only their index fields in clear; the rest is ciphertext.
CREATE TABLE lti_store (
  id bigserial PRIMARY KEY,
  collection text NOT NULL,
  doc jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Mirrors the TTLs of ltijs's Mongo schema; NULL = kept. Reads ignore expired rows,
  -- a scheduled purge deletes them.
  expires_at timestamptz
);
CREATE INDEX lti_store_doc ON lti_store USING gin (doc jsonb_path_ops);
CREATE INDEX lti_store_collection ON lti_store (collection);
CREATE INDEX lti_store_expiry ON lti_store (expires_at) WHERE expires_at IS NOT NULL;
-- A nonce is single use even when two copies of one id_token arrive at the same instant:
-- ltijs looks then inserts, so the unique index is what closes the race.
CREATE UNIQUE INDEX lti_store_nonce ON lti_store ((doc->>'nonce')) WHERE collection = 'nonce';
CREATE UNIQUE INDEX lti_store_state ON lti_store ((doc->>'state')) WHERE collection = 'state';
CREATE UNIQUE INDEX lti_store_platform ON lti_store ((doc->>'platformUrl'), (doc->>'clientId')) WHERE collection = 'platform';

-- Sello's side of a registration: where the platform's endpoints are and which ltijs
-- record (key id) it matches.
ALTER TABLE platforms
  ADD COLUMN lti_kid text UNIQUE,
  ADD COLUMN auth_url text,
  ADD COLUMN token_url text,
  ADD COLUMN jwks_url text,
  ADD COLUMN registered_via text NOT NULL DEFAULT 'manual' CHECK (registered_via IN ('manual', 'dynamic', 'cli')),
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- One successful launch: what requireLaunch needs for the rest of the visit, found by
-- the state that ltijs writes into the ltik.
CREATE TABLE lti_launches (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  state text NOT NULL UNIQUE,
  platform_id uuid NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
  deployment_id text NOT NULL,
  context_id uuid REFERENCES contexts (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  roles text[] NOT NULL DEFAULT '{}',
  locale text NOT NULL DEFAULT 'en',
  message_type text NOT NULL,
  resource_link_id text,
  deep_linking jsonb,
  custom jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX lti_launches_expiry ON lti_launches (expires_at);

-- OIDC login requests, kept for the "cookies blocked" fallbacks: re-opening the login in
-- a new window, and the platform-storage (postMessage) proof that replaces the cookie.
CREATE TABLE lti_logins (
  state text PRIMARY KEY,
  iss text NOT NULL,
  params jsonb NOT NULL,
  storage_target text,
  storage_secret text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
