-- The chain capability's tables (src/chain, src/storage/chain-repository.ts).

-- Every transaction the embedded chain has mined, in order, with its block timestamp:
-- the embedded chain keeps no state on disk, so start-up replays these exact bytes at
-- these exact times and gets byte-identical hashes. Unused with an RPC chain.
CREATE TABLE chain_journal (
  seq bigserial PRIMARY KEY,
  chain_id integer NOT NULL,
  tx_hash text NOT NULL UNIQUE,
  raw_tx text NOT NULL,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  block_timestamp bigint NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

-- The registry contract Sello uses on each chain (deployed at first start).
CREATE TABLE chain_deployments (
  chain_id integer PRIMARY KEY,
  contract_address text NOT NULL,
  tx_hash text,
  block_number bigint,
  deployed_at timestamptz NOT NULL DEFAULT now()
);

-- The ordered send queue per signer: a nonce is taken under an advisory lock and the
-- signed bytes are stored before they are broadcast, so a crash or an unreachable RPC
-- never loses or duplicates a transaction (the same bytes are resent).
CREATE TABLE chain_transactions (
  id bigserial PRIMARY KEY,
  chain_id integer NOT NULL,
  signer text NOT NULL,
  nonce bigint NOT NULL,
  purpose text NOT NULL,
  raw_tx text NOT NULL,
  tx_hash text NOT NULL,
  -- signed: stored, maybe not yet accepted; sent: accepted by the node; mined: in a block,
  -- awaiting confirmations; confirmed; reverted (mined, status 0); dropped (its nonce was
  -- used by another transaction, so it can never be mined).
  status text NOT NULL DEFAULT 'signed'
    CHECK (status IN ('signed', 'sent', 'mined', 'confirmed', 'reverted', 'dropped')),
  block_number bigint,
  block_hash text,
  gas_used bigint,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (chain_id, signer, nonce)
);
CREATE INDEX chain_transactions_open ON chain_transactions (chain_id, signer, nonce)
  WHERE status IN ('signed', 'sent', 'mined');

-- One anchoring transaction per batch. A batch stays 'pending' (with last_error) until a
-- transaction carrying it is confirmed; a reverted or dropped one is simply replaced.
CREATE TABLE anchor_batches (
  id bigserial PRIMARY KEY,
  chain_id integer NOT NULL,
  contract_address text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'anchored')),
  leaf_count integer NOT NULL,
  tx_id bigint REFERENCES chain_transactions (id),
  tx_hash text,
  block_number bigint,
  block_hash text,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  anchored_at timestamptz
);
CREATE INDEX anchor_batches_open ON anchor_batches (id) WHERE status <> 'anchored';

-- Which batch (and leaf position) anchors each credential. No foreign key to
-- credentials: anchoring only needs the hash, and the hash is what the chain knows.
CREATE TABLE credential_anchors (
  credential_hash text PRIMARY KEY,
  credential_id text NOT NULL,
  batch_id bigint NOT NULL REFERENCES anchor_batches (id),
  leaf_index integer NOT NULL,
  UNIQUE (batch_id, leaf_index)
);

-- Soulbound tokens to mint (token id = credential hash) for learners with a wallet.
CREATE TABLE token_mints (
  credential_hash text PRIMARY KEY,
  wallet_address text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'minted')),
  tx_id bigint REFERENCES chain_transactions (id),
  tx_hash text,
  block_number bigint,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  minted_at timestamptz
);
CREATE INDEX token_mints_open ON token_mints (created_at) WHERE status <> 'minted';
