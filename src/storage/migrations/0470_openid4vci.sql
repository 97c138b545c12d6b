-- OpenID4VCI 1.0 pre-authorized code flow (issue 14): a credential offer for a credential
-- Sello issued, the access tokens its code was exchanged for, the c_nonces handed out, and
-- every DID-bound credential delivered from it. Secrets (the offer's URL token, the
-- pre-authorized code, access tokens, nonces) are kept only as SHA-256 hashes.
CREATE TABLE openid4vci_offers (
  id uuid PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  code_hash text NOT NULL UNIQUE,
  credential_id text NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  redeemed_at timestamptz
);

CREATE TABLE openid4vci_access_tokens (
  token_hash text PRIMARY KEY,
  offer_id uuid NOT NULL REFERENCES openid4vci_offers (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL
);

CREATE TABLE openid4vci_nonces (
  nonce_hash text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX openid4vci_nonces_expiry ON openid4vci_nonces (expires_at);

-- The award's other credentials: one per holder DID a wallet proved, each signed and
-- anchored like the award's own credential (`source_credential_id`).
CREATE TABLE openid4vci_bound_credentials (
  credential_id text PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
  source_credential_id text NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
  offer_id uuid REFERENCES openid4vci_offers (id) ON DELETE SET NULL,
  holder_did text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX openid4vci_bound_credentials_source ON openid4vci_bound_credentials (source_credential_id);
