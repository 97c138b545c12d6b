-- The credentials capability's tables (src/credentials, src/issuance/issuer-keys.ts,
-- issue-credential.ts, credential-status.ts).

-- Ed25519 signing keys of each issuer. The private key is AES-256-GCM encrypted under
-- the deployment's key-encryption key (SELLO_KEK); only the public half leaves the
-- database. Rotation closes the current key (valid_until) and adds a new one: closed
-- keys stay listed in the DID document so older credentials keep verifying.
CREATE TABLE issuer_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  issuer_id uuid NOT NULL REFERENCES issuers (id),
  -- The DID URL fragment: `did:web:host#<key_id>`.
  key_id text NOT NULL,
  public_key_multibase text NOT NULL UNIQUE,
  encrypted_secret_key text NOT NULL,
  valid_from timestamptz NOT NULL,
  valid_until timestamptz,
  revoked_at timestamptz,
  revoked_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (issuer_id, key_id)
);
-- At most one current key per issuer, whatever races happen at start-up.
CREATE UNIQUE INDEX issuer_keys_one_current ON issuer_keys (issuer_id) WHERE valid_until IS NULL AND revoked_at IS NULL;

-- A pair of Bitstring Status Lists (revocation + suspension) sharing one index space:
-- a credential gets one random index, used in both lists. Served as
-- /status/<id>-revocation and /status/<id>-suspension.
CREATE TABLE status_list_groups (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  issuer_id uuid NOT NULL REFERENCES issuers (id),
  length integer NOT NULL CHECK (length >= 131072),
  -- Indexes handed out; a group stops taking new credentials at half its length so
  -- random picks stay cheap and the list keeps its herd.
  allocated integer NOT NULL DEFAULT 0,
  -- Bumped by every status change; the signed list documents carry the version they show.
  version integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_list_groups_issuer ON status_list_groups (issuer_id, created_at);

-- Which index each credential holds, and its current status bits. Indexes are never
-- reused: a row is never deleted. No foreign key to credentials: the index is taken
-- before the credential exists (it is part of what gets signed), in the same transaction.
CREATE TABLE status_list_entries (
  group_id uuid NOT NULL REFERENCES status_list_groups (id),
  idx integer NOT NULL CHECK (idx >= 0),
  credential_id text NOT NULL UNIQUE,
  revoked boolean NOT NULL DEFAULT false,
  suspended boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, idx)
);
CREATE INDEX status_list_entries_set ON status_list_entries (group_id) WHERE revoked OR suspended;

-- The signed status list credentials, cached until the group's version moves on.
CREATE TABLE status_list_documents (
  list_id text PRIMARY KEY,
  group_id uuid NOT NULL REFERENCES status_list_groups (id),
  purpose text NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
  version integer NOT NULL,
  document jsonb NOT NULL,
  signed_at timestamptz NOT NULL DEFAULT now()
);

-- Every status change, in order, for the chain capability to mirror revocations
-- on-chain (it picks rows whose chain_tx_hash is null) and for people to read.
CREATE TABLE credential_status_events (
  id bigserial PRIMARY KEY,
  credential_id text NOT NULL,
  credential_hash text NOT NULL,
  purpose text NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
  value boolean NOT NULL,
  reason text,
  actor text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  chain_tx_hash text NULL
);
CREATE INDEX credential_status_events_credential ON credential_status_events (credential_id, id);
CREATE INDEX credential_status_events_unmirrored ON credential_status_events (id) WHERE chain_tx_hash IS NULL;
