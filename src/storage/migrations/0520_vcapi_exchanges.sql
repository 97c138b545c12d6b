-- VC-API exchanges (issue 14): a learner's badge claimed by a wallet that speaks the VC API
-- exchange protocol (Learner Credential Wallet, LearnCard "claim from request"). One
-- exchange per "Add to wallet" offer: the wallet starts it, proves its DID (DIDAuth with the
-- exchange's challenge) and receives a new credential of the same award bound to that DID.
-- The exchange id in its URL is a bearer secret, kept only as a SHA-256 hash.
CREATE TABLE vcapi_exchanges (
  id uuid PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  credential_id text NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
  challenge text NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'active', 'complete', 'invalid')),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  completed_at timestamptz,
  holder_did text
);

-- Every credential an award produced for a holder's DID, whichever wallet protocol asked
-- for it (OpenID4VCI offer or VC-API exchange): the table 0470 started for OpenID4VCI.
ALTER TABLE openid4vci_bound_credentials RENAME TO holder_bound_credentials;
ALTER INDEX openid4vci_bound_credentials_source RENAME TO holder_bound_credentials_source;
ALTER TABLE holder_bound_credentials ADD COLUMN exchange_id uuid REFERENCES vcapi_exchanges (id) ON DELETE SET NULL;
ALTER TABLE holder_bound_credentials ADD COLUMN protocol text NOT NULL DEFAULT 'openid4vci' CHECK (protocol IN ('openid4vci', 'vcapi'));

-- OpenID4VCI 1.0 §4.1.1 transaction code: optional per offer, stored as a hash; wrong
-- guesses are counted so a short numeric code cannot be brute-forced.
ALTER TABLE openid4vci_offers ADD COLUMN tx_code_hash text;
ALTER TABLE openid4vci_offers ADD COLUMN failed_tx_code_attempts integer NOT NULL DEFAULT 0;
